import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { tuning } from "../../workers/env";
import { ALL_FIELDS_GRID } from "../shared/hostile-bodies";
import { api, apiWith, isFinal, startSweep, waitForSweep } from "./helpers";

async function post(body: string, headers: Record<string, string> = {}) {
  const res = await api("/api/sweeps", { method: "POST", body, headers });
  return { status: res.status, body: (await res.json()) as { error: { code: string; message: string; field?: string } } };
}

describe("POST /api/sweeps with a bad config", () => {
  it.each([
    [{ epochs: "20" }, "epochs", /must be an integer from 1 to 1000/],
    [{ epochs: 1001 }, "epochs", /must be an integer from 1 to 1000/],
    [{ epochs: 2.5 }, "epochs", /integer/],
    [{ trainSize: 60001 }, "trainSize", /from 1 to 60000/],
    [{ trainSize: 0 }, "trainSize", /from 1 to 60000/],
    [{ batchSize: -5 }, "batchSize", /integer/],
    [{ trainSize: 200, batchSize: 300 }, "batchSize", /must be at most trainSize \(200\)/],
    [{ hiddenSizes: [100, 0] }, "hiddenSizes[1]", /integer/],
    [{ hiddenSizes: "100" }, "hiddenSizes", /must be an array/],
    [{ weightScales: [0.1, -1] }, "weightScales[1]", /above 0/],
    [{ weightScales: [] }, "weightScales", /array of 1 to 256/],
    [{ repeats: 17 }, "repeats", /= 272 experiments; at most 256/],
    [{ seed: 2 ** 32 }, "seed", /from 0 to 4294967295/],
    [{ learningRate: 0 }, "learningRate", /above 0/],
    [{ activation: "tanh" }, "activation", /one of relu, sigmoid/],
    [{ optimizer: "rmsprop" }, "optimizer", /one of sgd, momentum, adagrad, adam/],
    [{ dropout: 1 }, "dropout", /from 0 up to 0.99/],
    [{ testSize: 10001 }, "testSize", /from 0 to 10000/],
    [{ epoch: 3 }, "epoch", /is not a field/],
  ])("answers 400 naming the field and the rule for %o", async (config, field, rule) => {
    const { status, body } = await post(JSON.stringify(config));
    expect(status).toBe(400);
    expect(body.error.code).toBe("invalid_field");
    expect(body.error.field).toBe(field);
    expect(body.error.message).toMatch(rule);
  });

  it("answers 400 for malformed JSON", async () => {
    const { status, body } = await post("{ epochs: 3");
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ code: "malformed_json", field: "body" });
  });

  it("answers 400 for a JSON value that is not an object", async () => {
    const { status, body } = await post("[1, 2]");
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ code: "invalid_field", field: "body" });
  });

  it("answers 413 for a body over 64 KB with a Content-Length", async () => {
    const { status, body } = await post(JSON.stringify({ weightScales: Array(20000).fill(0.1) }));
    expect(status).toBe(413);
    expect(body.error).toMatchObject({ code: "body_too_large", field: "body" });
  });

  it("answers 413 for a chunked 2 MB body without reading it whole", async () => {
    let sent = 0;
    const chunk = new TextEncoder().encode(" ".repeat(16 * 1024));
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 2 * 1024 * 1024) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const res = await api("/api/sweeps", { method: "POST", body: stream, duplex: "half" } as RequestInit);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("body_too_large");
    expect(sent).toBeLessThan(2 * 1024 * 1024);
  });

  it("writes nothing for a rejected request", async () => {
    const before = await env.RESULTS.list();
    await post(JSON.stringify({ epochs: 0 }));
    await post("not json");
    expect((await env.RESULTS.list()).keys).toEqual(before.keys);
  });
});

describe("unknown things", () => {
  it("answer 404 for an unknown sweep id", async () => {
    const res = await api("/api/sweeps/0123456789abcdef0123456789abcdef");
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: "not_found", message: "no sweep 0123456789abcdef0123456789abcdef" } });
  });

  it("answer 404 for a malformed id, its CSV and its plot", async () => {
    for (const path of ["/api/sweeps/nope", "/api/sweeps/nope/results.csv", "/api/sweeps/nope/plot.svg"]) {
      expect((await api(path)).status).toBe(404);
    }
  });

  it("answer 404 as JSON for an unknown API route", async () => {
    const res = await api("/api/nothing-here");
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("not_found");
  });

  it("answer 404 for cancelling an unknown sweep", async () => {
    expect((await api("/api/sweeps/0123456789abcdef0123456789abcdef", { method: "DELETE" })).status).toBe(404);
  });
});

describe("GET /healthz", () => {
  it("answers 200 with ok", async () => {
    const res = await api("/healthz");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });
});

describe("hostile requests", () => {
  it.each([
    ["POST", ""],
    ["the dry run", "?dryRun=1"],
  ])("a grid of all eight fields × 16 values answers 400 naming grid, counted not built (%s)", async (_, query) => {
    const res = await api(`/api/sweeps${query}`, { method: "POST", body: JSON.stringify(ALL_FIELDS_GRID) });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: {
        code: "invalid_field",
        field: "grid",
        message: "grid make 1 weight scales × 4294967296 grid combinations × 1 repeats = 4294967296 experiments; at most 256",
      },
    });
    expect((await api("/healthz")).status).toBe(200);
  });

  it("a malformed list cursor answers 400 naming cursor, not 500", async () => {
    for (const cursor of ["not a cursor!", "%00", "x".repeat(2000)]) {
      const res = await api(`/api/sweeps?cursor=${encodeURIComponent(cursor)}`);
      expect([cursor.slice(0, 10), res.status]).toEqual([cursor.slice(0, 10), 400]);
      expect(((await res.json()) as { error: { field: string } }).error.field).toBe("cursor");
    }
  });

  it("compare draws a sweep named four times once", async () => {
    const id = await startSweep({ weightScales: [0.05, 0.02], epochs: 1, trainSize: 100, seed: 60 });
    await waitForSweep(id, isFinal);
    const once = await (await api(`/api/compare.svg?ids=${id}`)).text();
    const fourTimes = await api(`/api/compare.svg?ids=${id},${id},${id},${id}`);
    expect(fourTimes.status).toBe(200);
    expect(await fourTimes.text()).toBe(once);
  });
});

describe("tuning variables", () => {
  it.each([
    ["MAX_PARALLEL_RUNNERS", "0", 'MAX_PARALLEL_RUNNERS is "0"; it must be an integer from 1 to 256'],
    ["SLICE_WORK", "-1", 'SLICE_WORK is "-1"; it must be a number from 1e5 to 1e12'],
    ["MAX_SLICE_FAILURES", "2.5", 'MAX_SLICE_FAILURES is "2.5"; it must be an integer from 1 to 100'],
    ["WATCHDOG_STALL_MS", "soon", 'WATCHDOG_STALL_MS is "soon"; it must be an integer from 10 to 8.64e7'],
  ] as const)("refuses %s = %s at first use, naming the variable and its range", (name, value, message) => {
    expect(() => tuning({ [name]: value }, name)).toThrow(message);
  });

  it("gives the default for a value left out, and the value when in range", () => {
    expect(tuning({}, "MAX_PARALLEL_RUNNERS")).toBe(256);
    expect(tuning({ MAX_PARALLEL_RUNNERS: "4" }, "MAX_PARALLEL_RUNNERS")).toBe(4);
  });

  it("a wrong one answers 500 saying which, not a stack trace", async () => {
    const res = await apiWith({ MAX_SWEEP_WORK: "0" }, "/api/sweeps?dryRun=1", { method: "POST", body: "{}" });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({
      error: {
        code: "misconfigured",
        message:
          'this server is misconfigured: MAX_SWEEP_WORK is "0"; it must be a number from 1e5 to 1e18 (wrangler.toml [vars]; default 1e14)',
      },
    });
  });
});
