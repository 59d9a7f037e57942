/** A coordinator over memory storage, driven by a test: its runners, Quota and clock stand-ins. */

import { parseSweepConfig, type SweepConfig } from "../../src/sweep/config";
import { Coordinator } from "../../src/sweep/coordinator";
import type { CoordinatorPorts, CoordinatorTuning } from "../../src/sweep/coordinator-ports";
import type { RunnerReport } from "../../src/sweep/runner-protocol";
import { MemoryStorage } from "../sim/memory-storage";

export const WATCHDOG_INTERVAL_MS = 30_000;
export const EPOCHS = 2;

interface Options {
  /** MAX_PARALLEL_RUNNERS. */
  parallel?: number;
  /** Runs inside each KV write of the coordinator's: a report that arrives while one is awaited. */
  duringPublish?: (c: Coordinator) => Promise<void>;
  /** Whether a start of experiment `index` fails (its runner cannot be reached). */
  failStart?: (index: number) => boolean;
  /** Awaited by the Quota before it grants places. */
  acquired?: Promise<void>;
  /** Runs inside a runner's retry, before it answers. */
  duringRetry?: () => Promise<void>;
}

/**
 * A coordinator over memory storage and a clock set by the test. `quota.granting` false: no place
 * across sweeps. `hold(i)`: the next start of experiment i answers only once released (a runner
 * process busy with a slice); `started` lists every start asked, as index@pause.
 */
export function coordinator({ parallel = 1, duringPublish, failStart, acquired, duringRetry }: Options = {}) {
  const storage = new MemoryStorage();
  const clock = { now: 1_000 };
  const quota = { granting: true };
  const started: string[] = [];
  /** What each release gave back to the Quota (undefined: every place of the sweep). */
  const released: (number[] | undefined)[] = [];
  /** The experiments whose runner was told to stop and delete its storage. */
  const cancelled: number[] = [];
  const held = new Map<number, Promise<void>>();
  const hold = (index: number) => {
    let release = () => {};
    held.set(index, new Promise<void>((r) => (release = r)));
    return () => release();
  };
  const tuning: Record<CoordinatorTuning, number> = {
    MAX_PARALLEL_RUNNERS: parallel,
    SLICE_WORK: 3e9,
    WATCHDOG_STALL_MS: 600_000,
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
      start: async (spec) => {
        started.push(`${index}@${spec.pauseAt ?? "end"}`);
        const gate = held.get(index);
        held.delete(index);
        await gate;
        if (failStart?.(index)) throw new Error("runner unreachable");
        return true;
      },
      kick: async () => "busy",
      retry: async () => {
        await duringRetry?.();
        return true;
      },
      cancel: async () => {
        cancelled.push(index);
      },
    }),
    runnerShards: 1,
    quota: {
      acquire: async (_id, wanted) => {
        await acquired;
        return { granted: quota.granting ? wanted : [], running: 0, limit: 100, ahead: 0 };
      },
      release: async (_id, indices) => {
        released.push(indices);
      },
    },
    publisher: {
      publish: async () => {
        if (core) await duringPublish?.(core);
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
  const create = (config: SweepConfig) => core.create("s", config, "hash", new Date(clock.now).toISOString());
  return { core, storage, clock, quota, started, released, cancelled, hold, create };
}

/** A sweep of `count` weight scales. */
export function scales(count: number): SweepConfig {
  const weightScales = Array.from({ length: count }, (_, i) => 2 ** -i);
  return parseSweepConfig({ weightScales, epochs: EPOCHS, trainSize: 100, testSize: 10 }, () => 7);
}

/** A runner's report after `epochs` epochs (with the pause it ran towards, for a halving trial). */
export function report(status: "running" | "completed" | "paused", epochs: number, pauseAt?: number): RunnerReport {
  const list = (v: number) => Array<number>(epochs).fill(v);
  const lists = { plain: list(0.1), batchNorm: list(0.2), testPlain: list(0.3), testBatchNorm: list(0.4) };
  return { status, epochsDone: epochs, lists, runner: "test", ...(pauseAt === undefined ? {} : { pauseAt }) };
}

export const turn = () => new Promise((r) => setTimeout(r, 0));
