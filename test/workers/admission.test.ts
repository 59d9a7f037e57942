import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { parseSweepConfig } from "../../src/sweep/config";
import { sha256Hex } from "../../workers/sha256";
import { previousSweepIdFor } from "../../workers/sweep-id";
import { api, coordinatorStub, postSweep, startSweep } from "./helpers";

interface Answer {
  error: { field: string; message: string };
  estimate: {
    experiments: number;
    multiplyAdds: number;
    peakMemoryBytes: number;
    costUsd: number;
    limits: { memoryBytes: number };
  };
}

const post = postSweep<Answer>;

describe("admission", () => {
  it.each([
    [{ hiddenSizes: [4096, 4096, 4096], weightScales: [1], epochs: 1 }, "hiddenSizes", "MB"],
    [{ trainSize: 60000, batchSize: 60000 }, "batchSize", "MB"],
    [{ weightScales: Array(256).fill(0.01), epochs: 500, trainSize: 60000 }, "trainSize", "MAX_SWEEP_WORK"],
  ])("refuses %j with 400 naming %s, the estimate and the limit, storing nothing", async (request, field, words) => {
    const before = (await env.RESULTS.list()).keys.length;
    const { status, body } = await post(request);
    expect(status).toBe(400);
    expect(body.error.field).toBe(field);
    expect(body.error.message).toContain(words);
    expect(body.error.message).toMatch(/limit/);
    expect((await env.RESULTS.list()).keys.length).toBe(before);
  });

  it("admits the book's sweep at 201 epochs with 10 repeats, and ?dryRun=1 answers its estimate without starting it", async () => {
    const before = (await env.RESULTS.list()).keys.length;
    const { status, body } = await post({ epochs: 201, repeats: 10, seed: 0 }, "?dryRun=1");
    expect(status).toBe(200);
    expect(body.estimate.experiments).toBe(160);
    // 160 experiments × (2001 steps of both networks forward and backward + 201 evaluations of both), 119,400 per row.
    expect(body.estimate.multiplyAdds).toBe(160 * (2001 * 6 * 100 * 119400 + 201 * 2 * 1000 * 119400));
    expect(body.estimate.peakMemoryBytes).toBeGreaterThan(16 * 2 ** 20);
    expect(body.estimate.peakMemoryBytes).toBeLessThan(body.estimate.limits.memoryBytes);
    expect(body.estimate.costUsd).toBeGreaterThan(0);
    expect((await env.RESULTS.list()).keys.length).toBe(before);
  });
});

describe("requests", () => {
  it("a GET of an unknown sweep id answers 404 and leaves the coordinator's storage empty", async () => {
    const id = "fedcba9876543210fedcba9876543210";
    expect((await api(`/api/sweeps/${id}`)).status).toBe(404);
    const tables = await runInDurableObject(coordinatorStub(id), (_, state) =>
      state.storage.sql
        .exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\'")
        .toArray(),
    );
    expect(tables).toEqual([]);
  });

  it("an Idempotency-Key reused with the same body finds the same sweep, with another body answers 422", async () => {
    const headers = { "Idempotency-Key": "reuse-1" };
    const request = { weightScales: [0.05], epochs: 1, trainSize: 100, seed: 3 };
    const first = await startSweep(request, headers);
    expect(await startSweep(request, headers)).toBe(first);
    // The same request with its keys in another order is the same request.
    const reordered = Object.fromEntries(Object.entries(request).reverse()) as typeof request;
    expect(await startSweep(reordered, headers)).toBe(first);
    const res = await api("/api/sweeps", { method: "POST", body: JSON.stringify({ ...request, seed: 4 }), headers });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("idempotency_mismatch");
  });

  it.each([
    [10, "names the sweep made under it 10 hours ago (in the previous day's window)", true],
    [25, "is free again 25 hours later: a new sweep starts", false],
  ])("an Idempotency-Key used %i hours ago %s", async (hoursAgo, _, same) => {
    const key = `expiry-${hoursAgo}`;
    const request = { weightScales: [0.05], epochs: 1, trainSize: 100, seed: 3 };
    const now = Date.now();
    // Made in the previous window at the given age (an id is only a function of key and window).
    const then = now - hoursAgo * 3600_000;
    const previous = await previousSweepIdFor(key, now);
    const config = parseSweepConfig(request, () => 0);
    // The key order of the request as the API hashes it (sorted).
    const hash = await sha256Hex(JSON.stringify(request, Object.keys(request).sort()));
    await coordinatorStub(previous).create(previous, config, hash, new Date(then).toISOString());
    const id = await startSweep(request, { "Idempotency-Key": key });
    expect(id === previous).toBe(same);
  });
});

describe("the result size cap", () => {
  it("refuses a sweep whose result passes MAX_RESULT_POINTS (262144), naming the field and the count", async () => {
    const { status, body } = await post({ weightScales: Array(256).fill(0.01), epochs: 1000, trainSize: 100, testSize: 10 });
    expect(status).toBe(400);
    expect(body.error.field).toBe("epochs");
    expect(body.error.message).toBe(
      "epochs makes the result 1024000 points (256 experiments × 1000 epochs × 4 lists); this server's limit (MAX_RESULT_POINTS) is 262144",
    );
  });

  it("admits the largest result it allows: 256 experiments × 512 epochs × 2 lists", async () => {
    const { status } = await post({ weightScales: Array(256).fill(0.01), epochs: 512, trainSize: 100 }, "?dryRun=1");
    expect(status).toBe(200);
  });
});
