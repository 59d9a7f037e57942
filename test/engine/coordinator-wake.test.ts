import { describe, expect, it } from "vitest";
import { parseSweepConfig } from "../../src/sweep/config";
import { Coordinator } from "../../src/sweep/coordinator";
import type { CoordinatorPorts, CoordinatorTuning } from "../../src/sweep/coordinator-ports";
import type { RunnerReport } from "../../src/sweep/runner-protocol";
import { MemoryStorage } from "../sim/memory-storage";

const WATCHDOG_INTERVAL_MS = 10_000;
const EPOCHS = 2;

/**
 * A coordinator of three experiments, one at a time, over memory storage and a clock set by the
 * test; `duringPublish` runs inside each KV write, as a report that arrives while one is awaited;
 * `quota.granting` false: no place across sweeps; a start whose index `held` names answers once released.
 */
function coordinator(
  duringPublish: (c: Coordinator) => Promise<void>,
  quota = { granting: true },
  { parallel = 1, held = new Map<number, Promise<void>>() } = {},
) {
  const storage = new MemoryStorage();
  const clock = { now: 1_000 };
  const started: number[] = [];
  const tuning: Record<CoordinatorTuning, number> = {
    MAX_PARALLEL_RUNNERS: parallel,
    SLICE_WORK: 3e9,
    WATCHDOG_STALL_MS: 60_000,
    WATCHDOG_INTERVAL_MS,
    MAX_SLICE_FAILURES: 3,
    RETAIN_DAYS: 30,
  };
  let core: Coordinator | undefined;
  const ports: CoordinatorPorts = {
    table: storage,
    transaction: (fn, wake) => storage.transaction(fn, wake, clock.now),
    alarm: {
      get: async () => storage.data.alarm,
      set: async (at) => {
        storage.data.alarm = at;
      },
      delete: async () => {
        storage.data.alarm = null;
      },
    },
    mark: {
      get: async (key) => storage.data.marks[key],
      put: async (key, value) => {
        storage.data.marks[key] = value;
      },
    },
    deleteAll: async () => storage.deleteAll(),
    runner: (_id, index) => ({
      start: async () => {
        started.push(index);
        // Only the first start is held: a second one (the bug) answers at once and fails the test.
        const gate = held.get(index);
        held.delete(index);
        await gate;
        return true;
      },
      kick: async () => "busy",
      retry: async () => true,
      cancel: async () => undefined,
    }),
    runnerShards: 1,
    quota: {
      acquire: async (_id, wanted) => ({ granted: quota.granting ? wanted : [], running: 0, limit: 100, ahead: 0 }),
      release: async () => undefined,
    },
    publisher: {
      publish: async () => {
        if (core) await duringPublish(core);
        return null;
      },
      unpublish: async () => undefined,
    },
    viewers: { count: () => 0, broadcast: () => undefined, closeAll: () => undefined },
    now: () => clock.now,
    tuning: (name) => tuning[name],
    log: () => undefined,
  };
  core = new Coordinator(ports);
  return { core, storage, clock, started };
}

const completed: RunnerReport = {
  status: "completed",
  epochsDone: EPOCHS,
  lists: { plain: [0.1, 0.2], batchNorm: [0.3, 0.4] },
  runner: "test",
};

describe("the coordinator's alarm", () => {
  it("starts the next queued experiment as soon as a report frees a place, not at the next alarm", async () => {
    const { core, storage, clock, started } = coordinator(async () => undefined);
    const config = parseSweepConfig({ weightScales: [1, 0.5, 0.25], epochs: EPOCHS, trainSize: 100, testSize: 10 }, () => 7);
    await core.create("s", config, "hash", new Date(clock.now).toISOString());
    await core.alarm();
    expect(started).toEqual([0]);
    const due = storage.data.alarm;
    clock.now += 100;
    expect(await core.report(0, completed)).toBe("ok");
    expect(started).toEqual([0, 1]);
    expect(core.view()?.experiments.map((e) => e.status)).toEqual(["completed", "running", "queued"]);
    expect(storage.data.alarm).toBe(due);
  });

  it("keeps the wake-up of a report whose experiment could not start while the alarm runs", async () => {
    const quota = { granting: true };
    let reportDuringAlarm = false;
    const { core, storage, clock, started } = coordinator(async (c) => {
      if (!reportDuringAlarm) return;
      reportDuringAlarm = false;
      // Experiment 0 ends while this alarm awaits its KV write; no place across sweeps for the next.
      clock.now += 5;
      quota.granting = false;
      expect(await c.report(0, completed)).toBe("ok");
      quota.granting = true;
    }, quota);
    const config = parseSweepConfig({ weightScales: [1, 0.5, 0.25], epochs: EPOCHS, trainSize: 100, testSize: 10 }, () => 7);
    await core.create("s", config, "hash", new Date(clock.now).toISOString());
    await core.alarm();
    expect(started).toEqual([0]);
    expect(storage.data.alarm).toBe(clock.now + WATCHDOG_INTERVAL_MS);

    clock.now += 100;
    reportDuringAlarm = true;
    await core.alarm();
    expect(started).toEqual([0]);
    // Due at the report's moment, not a watchdog interval later.
    expect(storage.data.alarm).toBe(clock.now);
    await core.alarm();
    expect(started).toEqual([0, 1]);
  });

  it("is not woken by a progress report, which frees no place (each run writes KV)", async () => {
    const { core, storage, clock } = coordinator(async () => undefined);
    const config = parseSweepConfig({ weightScales: [1, 0.5], epochs: EPOCHS, trainSize: 100, testSize: 10 }, () => 7);
    await core.create("s", config, "hash", new Date(clock.now).toISOString());
    await core.alarm();
    const due = storage.data.alarm;
    clock.now += 50;
    const progress: RunnerReport = {
      status: "running",
      epochsDone: 1,
      lists: { plain: [0.1], batchNorm: [0.3] },
      runner: "test",
    };
    expect(await core.report(0, progress)).toBe("ok");
    expect(core.view()?.experiments[0].epochsDone).toBe(1);
    expect(storage.data.alarm).toBe(due);
  });

  it("re-arms the watchdog over the alarm being run when nothing came meanwhile", async () => {
    const { core, storage, clock } = coordinator(async () => undefined);
    const config = parseSweepConfig({ weightScales: [1, 0.5], epochs: EPOCHS, trainSize: 100, testSize: 10 }, () => 7);
    await core.create("s", config, "hash", new Date(clock.now).toISOString());
    clock.now += 3;
    await core.alarm();
    expect(storage.data.alarm).toBe(clock.now + WATCHDOG_INTERVAL_MS);
  });

  it("does not start an experiment twice while its runner has not answered the first start", async () => {
    let release = () => {};
    const held = new Map([[1, new Promise<void>((r) => (release = r))]]);
    const { core, clock, started } = coordinator(async () => undefined, undefined, { parallel: 2, held });
    const config = parseSweepConfig(
      { weightScales: [1, 0.5, 0.25, 0.125], epochs: EPOCHS, trainSize: 100, testSize: 10 },
      () => 7,
    );
    await core.create("s", config, "hash", new Date(clock.now).toISOString());
    const alarm = core.alarm();
    await new Promise((r) => setTimeout(r, 0));
    expect(started).toEqual([0, 1]);
    // Experiment 0 ends while 1's runner has not answered: the free place goes to 2, not to 1 again.
    expect(await core.report(0, completed)).toBe("ok");
    expect(started).toEqual([0, 1, 2]);
    release();
    await alarm;
    expect(core.view()?.experiments.map((e) => e.status)).toEqual(["completed", "running", "running", "queued"]);
  });
});
