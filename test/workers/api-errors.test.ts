import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api } from "./helpers";

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
