import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { saveExperiment } from "../../src/experiment/checkpoint";
import { Experiment } from "../../src/experiment/experiment";
import { parseSweepConfig, sweepExperiments } from "../../src/sweep/config";
import { loadDataset } from "../../workers/dataset-loader";
import { ResultsStore } from "../../workers/results-store";
import type { SweepCoordinator } from "../../workers/sweep-coordinator";
import { sweepIdFor } from "../../workers/sweep-id";
import { api, coordinatorStub, isFinal, runnerStub, startSweep, waitForSweep } from "./helpers";

const DAY_MS = 24 * 60 * 60 * 1000;

/** Keys a Durable Object holds (its SQL tables included, as a count of rows in each). */
async function stored(stub: DurableObjectStub): Promise<number> {
  return runInDurableObject(stub, async (_, state) => {
    const tables = state.storage.sql
      .exec<{ name: string }>(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'",
      )
      .toArray();
    return (await state.storage.list()).size + tables.length;
  });
}

/**
 * A sweep of two experiments, the first failed by a damaged checkpoint (which its runner keeps for
 * a retry), the second completed: it ends partial.
 */
async function partialSweep(key: string, seed: number): Promise<{ id: string; experiments: number }> {
  const id = await sweepIdFor(key);
  const request = { weightScales: [0.05, 0.02], epochs: 2, trainSize: 100, seed };
  const { config } = sweepExperiments(parseSweepConfig(request, () => 0))[0];
  const experiment = new Experiment(config, await loadDataset(env.ASSETS, config.trainSize, config.testSize));
  experiment.advance(1);
  const pieces = saveExperiment(experiment, 1 << 20);
  pieces[0][100] ^= 1;
  await runInDurableObject(runnerStub(id, 0), async (_, state) => {
    await state.storage.put({
      "checkpoint:pieces": pieces.length,
      ...Object.fromEntries(pieces.map((p, i) => [`checkpoint:${i}`, p])),
    });
  });
  await startSweep(request, { "Idempotency-Key": key });
  expect((await waitForSweep(id, isFinal)).status).toBe("partial");
  return { id, experiments: 2 };
}

describe("purge", () => {
  it("removes a final sweep everywhere: coordinator, every runner, KV result and index line; then GET answers 404", async () => {
    const { id } = await partialSweep("purge-1", 50);
    // What is left before: the failed runner's checkpoint, the coordinator's tables, KV's two keys.
    expect(await stored(runnerStub(id, 0))).toBeGreaterThan(0);
    const store = new ResultsStore(env.RESULTS);
    await expect.poll(async () => (await store.getResult(id))?.status, { timeout: 5000 }).toBe("partial");
    const res = await api(`/api/sweeps/${id}?purge=1`, { method: "DELETE" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id, purged: true });
    expect(await stored(runnerStub(id, 0))).toBe(0);
    expect(await stored(runnerStub(id, 1))).toBe(0);
    expect(await stored(coordinatorStub(id))).toBe(0);
    expect(await store.getResult(id)).toBeNull();
    const keys = (await env.RESULTS.list()).keys.map((k) => k.name);
    expect(keys.filter((k) => k.includes(id))).toEqual([]);
    expect((await api(`/api/sweeps/${id}`)).status).toBe(404);
  });

  it("lets the same Idempotency-Key start a sweep again after the purge, on the same coordinator, which runs it to its end", async () => {
    const headers = { "Idempotency-Key": "purge-again" };
    const request = { weightScales: [0.05], epochs: 2, trainSize: 100, seed: 52 };
    const id = await startSweep(request, headers);
    expect((await waitForSweep(id, isFinal)).status).toBe("completed");
    expect((await api(`/api/sweeps/${id}?purge=1`, { method: "DELETE" })).status).toBe(200);
    // The same key the same day names the same id: the object that purged the first sweep runs this one.
    expect(await startSweep(request, headers)).toBe(id);
    const again = await waitForSweep(id, isFinal, 20_000);
    expect([again.status, again.experiments[0].epochsDone]).toEqual(["completed", 2]);
  });

  it("refuses a live sweep with 409 (cancel it first) and an unknown one with 404", async () => {
    const id = await startSweep({ weightScales: [0.05], epochs: 200, trainSize: 200, seed: 51 });
    const res = await api(`/api/sweeps/${id}?purge=1`, { method: "DELETE" });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain("cancel it first");
    expect((await api(`/api/sweeps/${id}`, { method: "DELETE" })).status).toBe(200);
    expect((await api(`/api/sweeps/${id}?purge=1`, { method: "DELETE" })).status).toBe(200);
    expect((await api(`/api/sweeps/${"c".repeat(32)}?purge=1`, { method: "DELETE" })).status).toBe(404);
  });
});

describe("RETAIN_DAYS", () => {
  it("removes a final sweep's failed checkpoints RETAIN_DAYS (30) after its end, and keeps its results", async () => {
    const { id } = await partialSweep("retain-1", 52);
    const before = await stored(runnerStub(id, 0));
    expect(before).toBeGreaterThan(0);
    const completedAt = Date.parse(((await (await api(`/api/sweeps/${id}`)).json()) as { completedAt: string }).completedAt);
    const retain = (now: number) => runInDurableObject(coordinatorStub(id), (instance: SweepCoordinator) => instance.retain(now));
    // A day early: nothing removed, and the alarm is due at the end of the 30 days.
    expect(await retain(completedAt + 29 * DAY_MS)).toBe(completedAt + 30 * DAY_MS);
    expect(await stored(runnerStub(id, 0))).toBe(before);
    expect(await retain(completedAt + 30 * DAY_MS)).toBeNull();
    expect(await stored(runnerStub(id, 0))).toBe(0);
    const alarm = await runInDurableObject(coordinatorStub(id), (_, state) => state.storage.getAlarm());
    expect(alarm === null || alarm <= completedAt + 30 * DAY_MS).toBe(true);
    const view = (await (await api(`/api/sweeps/${id}`)).json()) as { status: string; experiments: { plain: number[] }[] };
    expect(view.status).toBe("partial");
    expect(view.experiments[1].plain).toHaveLength(2);
  });

  it("arms the coordinator's alarm for the removal when the sweep ends", async () => {
    const { id } = await partialSweep("retain-2", 53);
    const completedAt = Date.parse(((await (await api(`/api/sweeps/${id}`)).json()) as { completedAt: string }).completedAt);
    await expect
      .poll(() => runInDurableObject(coordinatorStub(id), (_, state) => state.storage.getAlarm()), { timeout: 5000 })
      .toBe(completedAt + 30 * DAY_MS);
  });
});
