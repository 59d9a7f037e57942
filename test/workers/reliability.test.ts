import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { saveExperiment } from "../../src/experiment/checkpoint";
import { Experiment } from "../../src/experiment/experiment";
import { parseSweepConfig, sweepExperiments } from "../../src/sweep/config";
import { newRunnerRecord, RunnerRecords } from "../../src/sweep/runner-record";
import type { SweepView } from "../../src/sweep/view";
import { loadDataset } from "../../workers/dataset-loader";
import type { Env } from "../../workers/env";
import { ResultsPublisher } from "../../workers/results-publisher";
import { ResultsStore } from "../../workers/results-store";
import { coordinatorOf } from "../../workers/stubs";
import { sweepIdFor } from "../../workers/sweep-id";
import {
  api,
  coordinatorStub,
  getSweep,
  isFinal,
  runEngine,
  runnerStub,
  startSweep,
  waitForSweep,
  withStubMethods,
} from "./helpers";

/** What a Durable Object instance holds that these tests replace. */
type Patchable = { env: Env; publisher: ResultsPublisher };

/** A SWEEPS namespace whose coordinators' `report` throws `times` times for reports matching `when`. */
function failingReports(times: number, when: (report: { status: string }) => boolean): Env["SWEEPS"] {
  let left = times;
  return withStubMethods(env.SWEEPS, (stub: { report(index: number, report: never): Promise<unknown> }) => ({
    report: (index: number, report: { status: string }) => {
      if (when(report) && left > 0) {
        left--;
        return Promise.reject(new Error("report lost in transit"));
      }
      return stub.report(index, report as never);
    },
  }));
}

function spec(id: string, request: object, index = 0) {
  return { sweepId: id, index, config: sweepExperiments(parseSweepConfig(request, () => 0))[index].config };
}

describe("a runner's final report", () => {
  it("that fails once is kept and sent again: the sweep completes with the engine's lists", async () => {
    const key = "final-report-lost-1";
    const id = await sweepIdFor(key);
    const request = { weightScales: [0.05], epochs: 2, trainSize: 100, seed: 12 };
    await runInDurableObject(runnerStub(id, 0), (instance) => {
      const runner = instance as unknown as Patchable;
      runner.env = { ...runner.env, SWEEPS: failingReports(1, (r) => r.status === "completed") };
    });
    await startSweep(request, { "Idempotency-Key": key });
    const done = await waitForSweep(id, isFinal);
    expect(done.experiments[0].error).toBeUndefined();
    expect(done.status).toBe("completed");
    expect(done.experiments[0].plain).toEqual((await runEngine(spec(id, request).config)).plain);
  });

  it("of a finished runner the coordinator never heard is fetched by the watchdog", async () => {
    const key = "final-report-silent-1";
    const id = await sweepIdFor(key);
    const request = { weightScales: [0.05], epochs: 2, trainSize: 100, seed: 13 };
    const s = spec(id, request);
    const direct = await runEngine(s.config);
    const final = { status: "completed" as const, epochsDone: 2, lists: { plain: direct.plain, batchNorm: direct.batchNorm } };
    // Finished, final report stored, no alarm: as if every send had failed and the object restarted.
    await runInDurableObject(runnerStub(id, 0), async (_, state) => {
      await new RunnerRecords(state.storage).put({ ...newRunnerRecord(s), state: "completed", final });
    });
    await startSweep(request, { "Idempotency-Key": key });
    const done = await waitForSweep(id, isFinal);
    expect(done.status).toBe("completed");
    expect(done.experiments[0].batchNorm).toEqual(direct.batchNorm);
    // The runner deletes its storage once its report is answered, which may come after the view is final.
    await expect
      .poll(() => runInDurableObject(runnerStub(id, 0), async (_, state) => (await state.storage.list()).size), { timeout: 5000 })
      .toBe(0);
  });
});

describe("an isolate reset mid-slice", () => {
  it("is counted before the work, and after MAX_SLICE_FAILURES (3 here) the experiment ends failed saying so", async () => {
    const key = "isolate-resets-1";
    const id = await sweepIdFor(key);
    const request = { weightScales: [0.05, 0.02], epochs: 2, trainSize: 100, seed: 14 };
    // Three slices started and never finished: the attempts counter says so, as a killed isolate leaves it.
    await runInDurableObject(runnerStub(id, 0), async (_, state) => {
      // No alarm: the coordinator's start() finds the spec and the watchdog wakes it.
      await new RunnerRecords(state.storage).put({ ...newRunnerRecord(spec(id, request)), attempts: 3 });
    });
    await startSweep(request, { "Idempotency-Key": key });
    const done = await waitForSweep(id, isFinal);
    expect(done.status).toBe("partial");
    expect(done.experiments[0].error).toMatch(/^exceeded memory or CPU: isolate reset 3 times in a slice of \d+ iterations$/);
    expect(done.experiments[1].status).toBe("completed");
  });

  it("is on record while the slice works: the attempt is stored before the work starts", async () => {
    const key = "isolate-resets-2";
    const id = await sweepIdFor(key);
    const request = { weightScales: [0.05], epochs: 1, trainSize: 100, seed: 15 };
    // Every slice's look: the failed one is retried after RETRY_BASE_MS (10 ms here), which may come
    // before the assertion; the first look is the one after the stored attempt.
    const seen: unknown[] = [];
    await runInDurableObject(runnerStub(id, 0), async (instance, state) => {
      await new RunnerRecords(state.storage).put({ ...newRunnerRecord(spec(id, request)), attempts: 1 });
      await state.storage.setAlarm(Date.now() + 60_000);
      // The slice's work, replaced by a look at storage: a killed isolate would leave exactly this.
      (instance as unknown as { core: { load: () => Promise<never> } }).core.load = async () => {
        seen.push((await new RunnerRecords(state.storage).get())?.attempts);
        throw new Error("stop here");
      };
    });
    await runDurableObjectAlarm(runnerStub(id, 0));
    expect(seen[0]).toBe(2);
  });
});

/** A checkpoint of the first experiment of `request`, with `damage` applied to its first piece. */
async function storedCheckpoint(id: string, request: object, damage: (bytes: Uint8Array) => void): Promise<void> {
  const s = spec(id, request);
  const data = await loadDataset(env.ASSETS, s.config.trainSize, s.config.testSize);
  const experiment = new Experiment(s.config, data);
  experiment.advance(1);
  const pieces = saveExperiment(experiment, 1 << 20);
  damage(pieces[0]);
  await runInDurableObject(runnerStub(id, 0), async (_, state) => {
    await state.storage.put({
      "checkpoint:pieces": pieces.length,
      ...Object.fromEntries(pieces.map((p, i) => [`checkpoint:${i}`, p])),
    });
  });
}

describe("a checkpoint", () => {
  it.each([
    [
      "with one byte flipped",
      (b: Uint8Array) => {
        b[100] ^= 1;
      },
      "checkpoint damaged: checkpoint checksum does not match",
    ],
    [
      "of another format version",
      (b: Uint8Array) => {
        b[3] = "1".charCodeAt(0);
      },
      "checkpoint damaged: checkpoint is format BNX1; this engine reads BNX4",
    ],
  ])("%s ends its experiment failed at once, never restored silently", async (name, damage, error) => {
    const key = `checkpoint-${name}`;
    const id = await sweepIdFor(key);
    const request = { weightScales: [0.05], epochs: 2, trainSize: 100, seed: 16 };
    await storedCheckpoint(id, request, damage);
    await startSweep(request, { "Idempotency-Key": key });
    const done = await waitForSweep(id, isFinal);
    expect(done.status).toBe("failed");
    expect(done.experiments[0].error).toBe(error);
  });
});

describe("retry", () => {
  it("whose runner call throws leaves the experiment failed, and can be asked again", async () => {
    const key = "retry-throws-1";
    const id = await sweepIdFor(key);
    const request = { weightScales: [0.05], epochs: 2, trainSize: 100, seed: 17 };
    await storedCheckpoint(id, request, (b) => {
      b[100] ^= 1;
    });
    await startSweep(request, { "Idempotency-Key": key });
    expect((await waitForSweep(id, isFinal)).status).toBe("failed");
    await runInDurableObject(coordinatorStub(id), (instance) => {
      const coordinator = instance as unknown as Patchable;
      const broken = { get: () => ({ retry: () => Promise.reject(new Error("runner unreachable")) }), idFromName: () => ({}) };
      coordinator.env = { ...coordinator.env, RUNNERS: broken as unknown as Env["RUNNERS"] };
    });
    const first = await api(`/api/sweeps/${id}/experiments/0/retry?fromScratch=1`, { method: "POST" });
    expect(first.status).toBe(500);
    const view = (await (await api(`/api/sweeps/${id}`)).json()) as SweepView;
    expect(view.experiments[0].status).toBe("failed");
    await runInDurableObject(coordinatorStub(id), (instance) => {
      const coordinator = instance as unknown as Patchable;
      coordinator.env = { ...coordinator.env, RUNNERS: env.RUNNERS };
    });
    const second = await api(`/api/sweeps/${id}/experiments/0/retry?fromScratch=1`, { method: "POST" });
    expect(second.status).toBe(202);
    const done = await waitForSweep(id, isFinal);
    expect(done.status).toBe("completed");
    expect(done.experiments[0].plain).toEqual((await runEngine(spec(id, request).config)).plain);
  });
});

/** The statuses of a sweep in the coordinator, in KV's results and in the list, once KV's pacing has passed. */
async function statusesEverywhere(id: string): Promise<string[]> {
  await new Promise((r) => setTimeout(r, 1200));
  await runDurableObjectAlarm(coordinatorStub(id));
  const live = await coordinatorStub(id).state();
  const stored = await new ResultsStore(env.RESULTS).getResult(id);
  const listed = (await new ResultsStore(env.RESULTS).listSummaries(1000)).sweeps.find((s) => s.id === id);
  return [live?.status ?? "none", stored?.status ?? "none", listed?.status ?? "none"];
}

describe("cancel racing the last report", () => {
  it("gives one answer, the same in the coordinator, KV and the list", async () => {
    for (const seed of [18, 19, 20]) {
      const request = { weightScales: [0.05], epochs: 50, trainSize: 100, seed };
      const id = await startSweep(request);
      await waitForSweep(id, (v) => v.experiments[0].status === "running");
      const direct = await runEngine({ ...spec(id, request).config, epochs: 50 });
      const final = { status: "completed" as const, epochsDone: 50, lists: { plain: direct.plain, batchNorm: direct.batchNorm } };
      const coordinator = coordinatorStub(id);
      const [answer, cancelled] = await Promise.all([coordinator.report(0, final), coordinator.cancel()]);
      const statuses = await statusesEverywhere(id);
      expect(new Set(statuses).size).toBe(1);
      const outcome = statuses[0];
      expect(["completed", "cancelled"]).toContain(outcome);
      expect(answer).toBe(outcome === "completed" ? "ok" : "stop");
      expect("refused" in cancelled).toBe(outcome === "completed");
    }
  });
});

/** A KV namespace that records every write (put or delete) with its key and time. */
function countingKv(writes: { key: string; at: number }[]): KVNamespace {
  return new Proxy(env.RESULTS, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (prop !== "put" && prop !== "delete") return typeof value === "function" ? value.bind(target) : value;
      return (key: string, ...rest: unknown[]) => {
        writes.push({ key, at: Date.now() });
        return (value as (...a: unknown[]) => Promise<void>).call(target, key, ...rest);
      };
    },
  });
}

/** Has the coordinator of sweep `id` publish through {@link countingKv}; returns the list it fills. */
async function countKvWrites(id: string): Promise<{ key: string; at: number }[]> {
  const writes: { key: string; at: number }[] = [];
  await runInDurableObject(coordinatorOf(env, id), (instance, state) => {
    const coordinator = instance as unknown as Patchable;
    coordinator.publisher = new ResultsPublisher(state.storage.sql, new ResultsStore(countingKv(writes)));
  });
  return writes;
}

describe("KV writes of a sweep", () => {
  it("are at most one per key per second while it runs, and end with the final results", async () => {
    const key = "kv-pacing-1";
    const id = await sweepIdFor(key);
    const writes = await countKvWrites(id);
    await startSweep({ weightScales: [0.05, 0.02], epochs: 6, trainSize: 100, seed: 21 }, { "Idempotency-Key": key });
    await waitForSweep(id, isFinal);
    await statusesEverywhere(id);
    const byKey = new Map<string, { key: string; at: number }[]>();
    for (const w of writes) byKey.set(w.key, [...(byKey.get(w.key) ?? []), w]);
    expect([...byKey.keys()].some((k) => k === `result:${id}`)).toBe(true);
    for (const list of byKey.values()) {
      for (let i = 1; i < list.length; i++) expect(list[i].at - list[i - 1].at).toBeGreaterThanOrEqual(1000);
    }
    expect(writes.filter((w) => w.key === `result:${id}`)).toHaveLength(1);
  });
});

describe("two settles at once", () => {
  it("write the final results once: the last two reports and the alarm together", async () => {
    const key = "double-finish-1";
    const id = await sweepIdFor(key);
    const writes = await countKvWrites(id);
    const request = { weightScales: [0.05, 0.02], epochs: 50, trainSize: 100, seed: 22 };
    await startSweep(request, { "Idempotency-Key": key });
    await waitForSweep(id, (v) => v.experiments.every((e) => e.status === "running"));
    const coordinator = coordinatorStub(id);
    const lists = { plain: [0.5], batchNorm: [0.5] };
    await Promise.all([
      coordinator.report(0, { status: "completed", epochsDone: 50, lists }),
      coordinator.report(1, { status: "completed", epochsDone: 50, lists }),
      runDurableObjectAlarm(coordinator),
    ]);
    await statusesEverywhere(id);
    expect(writes.filter((w) => w.key === `result:${id}`)).toHaveLength(1);
  });
});

/** A RUNNERS namespace whose stubs answer `overrides` (given the experiment index a spec names) instead of the real runner's. */
function fakeRunners(overrides: Record<string, (index: number) => Promise<unknown>>): Env["RUNNERS"] {
  const calls = Object.fromEntries(
    Object.entries(overrides).map(([name, f]) => [
      name,
      (spec: { index?: number } | number) => f(typeof spec === "object" ? (spec.index ?? -1) : -1),
    ]),
  );
  return withStubMethods(env.RUNNERS, () => calls);
}

describe("the watchdog", () => {
  it("ends an experiment failed after MAX_SLICE_FAILURES restarts in a row without progress", async () => {
    const key = "watchdog-cap-1";
    const id = await sweepIdFor(key);
    // A runner that takes every start and kick and never reports: an isolate that dies each slice.
    await runInDurableObject(coordinatorOf(env, id), (instance) => {
      const coordinator = instance as unknown as Patchable;
      coordinator.env = {
        ...coordinator.env,
        RUNNERS: fakeRunners({ start: async () => undefined, kick: async () => "restarted" }),
      };
    });
    await startSweep({ weightScales: [0.05], epochs: 2, trainSize: 100, seed: 23 }, { "Idempotency-Key": key });
    const done = await waitForSweep(id, isFinal, 30_000);
    expect(done.status).toBe("failed");
    expect(done.experiments[0].error).toBe(
      "runner went quiet 3 times in a row (no report for 300 ms each); its isolate may exceed memory or CPU",
    );
  });

  it("keeps a runner's result that comes after it gave up (answered ok, not thrown away), and a retry takes it", async () => {
    const key = "watchdog-late-1";
    const id = await sweepIdFor(key);
    const request = { weightScales: [0.05], epochs: 2, trainSize: 100, seed: 27 };
    await runInDurableObject(coordinatorOf(env, id), (instance) => {
      const coordinator = instance as unknown as Patchable;
      coordinator.env = {
        ...coordinator.env,
        RUNNERS: fakeRunners({ start: async () => undefined, kick: async () => "restarted", retry: async () => true }),
      };
    });
    await startSweep(request, { "Idempotency-Key": key });
    expect((await waitForSweep(id, isFinal, 30_000)).status).toBe("failed");
    const direct = await runEngine(spec(id, request).config);
    const late = { status: "completed" as const, epochsDone: 2, lists: { plain: direct.plain, batchNorm: direct.batchNorm } };
    expect(await coordinatorStub(id).report(0, late)).toBe("ok");
    const kept = (await getSweep(id)).experiments[0];
    expect(kept).toMatchObject({ status: "failed", epochsDone: 2, plain: direct.plain, batchNorm: direct.batchNorm });
    expect(kept.error).toContain("its runner finished later: retry to take its result");
    expect((await api(`/api/sweeps/${id}/experiments/0/retry`, { method: "POST" })).status).toBe(202);
    const taken = await getSweep(id);
    expect(taken.status).toBe("completed");
    expect(taken.experiments[0]).toMatchObject({ status: "completed", plain: direct.plain });
  });

  it("goes on when one runner's start throws in the alarm: the others start, that one later", async () => {
    const key = "start-throws-1";
    const id = await sweepIdFor(key);
    let failures = 1;
    await runInDurableObject(coordinatorOf(env, id), (instance) => {
      const coordinator = instance as unknown as Patchable;
      // Runner 0's first start fails; every other call reaches the real runners (no timer: a
      // machine's speed changes nothing here).
      coordinator.env = {
        ...coordinator.env,
        RUNNERS: withStubMethods(env.RUNNERS, (stub: { start(spec: { index: number }): Promise<boolean> }) => ({
          start: (spec: { index: number }) => {
            if (spec.index !== 0 || failures === 0) return stub.start(spec);
            failures--;
            return Promise.reject(new Error("runner unreachable"));
          },
        })),
      };
    });
    await startSweep({ weightScales: [0.05, 0.02], epochs: 2, trainSize: 100, seed: 24 }, { "Idempotency-Key": key });
    const done = await waitForSweep(id, isFinal, 30_000);
    expect(done.status).toBe("completed");
    expect(failures).toBe(0);
  });
});

describe("cancelling a grid sweep", () => {
  it("stops the runners of every combination, not only the first", async () => {
    const request = { weightScales: [0.05], epochs: 200, trainSize: 200, seed: 25, grid: { learningRate: [0.01, 0.02, 0.03] } };
    const id = await startSweep(request as never);
    await waitForSweep(id, (v) => v.experiments.some((e) => e.epochsDone >= 1));
    expect((await api(`/api/sweeps/${id}`, { method: "DELETE" })).status).toBe(200);
    for (const index of [0, 1, 2]) {
      const left = await runInDurableObject(runnerStub(id, index), async (_, state) => (await state.storage.list()).size);
      expect(left).toBe(0);
    }
  });
});
