import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../../workers/env";
import type { Quota } from "../../workers/quota";
import { quotaOf } from "../../workers/stubs";
import { api, apiWith, getSweep, isFinal, startSweep, waitForSweep } from "./helpers";

/** Runs `body` with the Quota's variables changed, then puts them back. */
async function withQuotaVars<T>(vars: Partial<Env>, body: () => Promise<T>): Promise<T> {
  const set = (changes: Partial<Env>) =>
    runInDurableObject(quotaOf(env), (instance: Quota) => {
      const patchable = instance as unknown as { env: Env };
      patchable.env = { ...env, ...changes };
    });
  await set(vars);
  try {
    return await body();
  } finally {
    await set({});
  }
}

describe("the Quota's places", () => {
  it("grants at most MAX_RUNNING_EXPERIMENTS across sweeps, in the order sweeps asked, and gives them back", async () => {
    await withQuotaVars({ MAX_RUNNING_EXPERIMENTS: "3" }, async () => {
      const quota = quotaOf(env);
      const a = "a1".repeat(16);
      const b = "b1".repeat(16);
      const c = "c1".repeat(16);
      expect(await quota.acquire(a, [0, 1])).toEqual({ granted: [0, 1], running: 2, limit: 3, ahead: 0 });
      // b gets the last place and waits for the rest; c, asking later, waits behind b.
      expect(await quota.acquire(b, [0, 1])).toEqual({ granted: [0], running: 3, limit: 3, ahead: 0 });
      expect(await quota.acquire(c, [0])).toEqual({ granted: [], running: 3, limit: 3, ahead: 1 });
      await quota.release(a, [0]);
      // A place is free, but b waited longer: c gets nothing yet.
      expect((await quota.acquire(c, [0])).granted).toEqual([]);
      // b asking again keeps the place it holds and takes the free one.
      expect(await quota.acquire(b, [0, 1])).toEqual({ granted: [0, 1], running: 3, limit: 3, ahead: 0 });
      await quota.release(a);
      expect(await quota.acquire(c, [0])).toEqual({ granted: [0], running: 3, limit: 3, ahead: 0 });
      await quota.release(b);
      await quota.release(c);
    });
  });

  it("lets a retry ask without queueing: refused, it leaves no waiting sweep that would hold up the others", async () => {
    await withQuotaVars({ MAX_RUNNING_EXPERIMENTS: "1" }, async () => {
      const quota = quotaOf(env);
      const [a, retried, later] = ["a2", "b2", "c2"].map((p) => p.repeat(16));
      expect((await quota.acquire(a, [0])).granted).toEqual([0]);
      expect(await quota.acquire(retried, [3], { queue: false })).toEqual({ granted: [], running: 1, limit: 1, ahead: 0 });
      await quota.release(a);
      expect(await quota.acquire(later, [0])).toEqual({ granted: [0], running: 1, limit: 1, ahead: 0 });
      await quota.release(later);
    });
  });

  it("keeps a sweep beyond the limit queued, says why in its view, and starts it when places free up", async () => {
    await withQuotaVars({ MAX_RUNNING_EXPERIMENTS: "1" }, async () => {
      const first = await startSweep({ weightScales: [0.05], epochs: 30, trainSize: 200, seed: 70 });
      await waitForSweep(first, (v) => v.status === "running");
      const second = await startSweep({ weightScales: [0.05], epochs: 1, trainSize: 100, seed: 71 });
      const waiting = await waitForSweep(second, (v) => v.waiting !== undefined || isFinal(v));
      expect(waiting.status).toBe("queued");
      expect(waiting.waiting).toBe("1 experiment(s) wait for a place: 1 of 1 run across all sweeps (MAX_RUNNING_EXPERIMENTS)");
      expect((await getSweep(first)).status).toBe("running");
      expect((await waitForSweep(first, isFinal)).status).toBe("completed");
      const done = await waitForSweep(second, isFinal);
      expect(done.status).toBe("completed");
      expect(done.waiting).toBeUndefined();
    });
  });
});

describe("DAILY_WORK_LIMIT", () => {
  it("answers a POST past the day's work 429 with Retry-After and the day's figures; the dry run shows what is left", async () => {
    // Today's budget leaves 1e9 multiply-adds, whatever other tests used.
    const limit = (await quotaOf(env).today()).used + 1e9;
    await withQuotaVars({ DAILY_WORK_LIMIT: String(limit) }, async () => {
      const request = { weightScales: [0.05], epochs: 1, trainSize: 100, seed: 72 };
      const dry = await api("/api/sweeps?dryRun=1", { method: "POST", body: JSON.stringify(request) });
      const { estimate } = (await dry.json()) as { estimate: { multiplyAdds: number; today: { limit: number; left: number } } };
      expect(estimate.today.limit).toBe(limit);
      const before = estimate.today.left;
      expect(before).toBe(1e9);
      const big = { ...request, weightScales: Array(16).fill(0.05), epochs: 20, trainSize: 1000 };
      const res = await api("/api/sweeps", { method: "POST", body: JSON.stringify(big) });
      expect(res.status).toBe(429);
      const retryAfter = Number(res.headers.get("Retry-After"));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(86400);
      const body = (await res.json()) as {
        error: { code: string; message: string };
        today: { used: number; limit: number; left: number };
      };
      expect(body.error.code).toBe("daily_limit");
      expect(body.error.message).toContain(`${(1e9).toExponential(2)} left`);
      expect(body.today.left).toBe(before);
      // Nothing was reserved: the small sweep still fits, and is counted once.
      const small = await api("/api/sweeps", {
        method: "POST",
        body: JSON.stringify(request),
        headers: { "Idempotency-Key": "daily-1" },
      });
      expect(small.status).toBe(202);
      const again = await api("/api/sweeps", {
        method: "POST",
        body: JSON.stringify(request),
        headers: { "Idempotency-Key": "daily-1" },
      });
      expect(again.status).toBe(202);
      const after = (await (await api("/api/sweeps?dryRun=1", { method: "POST", body: "{}" })).json()) as {
        estimate: { today: { left: number } };
      };
      expect(after.estimate.today.left).toBe(before - estimate.multiplyAdds);
    });
  });
});

describe("POSTs per token or address", () => {
  it("go through the rate-limiting binding, keyed by the token's hash or the address, and answer 429 past it", async () => {
    const keys: string[] = [];
    let allow = true;
    const POST_LIMITER = {
      limit: async ({ key }: { key: string }) => {
        keys.push(key);
        return { success: allow };
      },
    } as unknown as RateLimit;
    const body = JSON.stringify({ weightScales: [0.05], epochs: 1, trainSize: 100 });
    const headers = { "CF-Connecting-IP": "198.51.100.7" };
    expect((await apiWith({ POST_LIMITER }, "/api/sweeps?dryRun=1", { method: "POST", body, headers })).status).toBe(200);
    const token = { SWEEP_TOKEN: "t0ken", POST_LIMITER };
    // However the header spells the scheme or spaces, the token's one bucket counts it.
    for (const header of ["Bearer t0ken", "bearer t0ken", "BEARER   t0ken"]) {
      await apiWith(token, "/api/sweeps?dryRun=1", { method: "POST", body, headers: { Authorization: header } });
    }
    expect(keys[0]).toBe("ip:198.51.100.7");
    expect(keys[1]).toMatch(/^token:[0-9a-f]{32}$/);
    expect(keys[1]).not.toContain("t0ken");
    expect(new Set(keys.slice(1))).toEqual(new Set([keys[1]]));
    expect(keys).toHaveLength(4);
    allow = false;
    keys.length = 0;
    // On the open server a made-up Authorization header does not buy a fresh bucket.
    await apiWith({ POST_LIMITER }, "/api/sweeps?dryRun=1", {
      method: "POST",
      body,
      headers: { ...headers, Authorization: "Bearer x" },
    });
    expect(keys).toEqual(["ip:198.51.100.7"]);
    const res = await apiWith({ POST_LIMITER }, "/api/sweeps", { method: "POST", body, headers });
    expect(res.status).toBe(429);
    expect(res.headers.get("Retry-After")).toBe("60");
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("rate_limited");
  });

  it("is bound in the Worker's configuration (wrangler.toml [[ratelimits]])", () => {
    expect(typeof env.POST_LIMITER?.limit).toBe("function");
  });
});
