/**
 * A runner for the simulator: the real Runner (src/sweep/runner.ts) over a key-value storage that
 * survives crashes and can crash between any two writes, and a stand-in for training whose lists
 * are known in advance, so that a completed experiment's lists can be checked exactly.
 */

import { CheckpointError } from "../../src/experiment/checkpoint";
import { Runner, type RunnerPorts, type Trainee } from "../../src/sweep/runner";
import type { RunnerStorage } from "../../src/sweep/runner-record";
import { CrashPoint } from "./crash-point";

/** The stand-in's lists of experiment `index` of sweep `sweep` after `epochs` epochs. */
export function standInLists(sweep: number, index: number, epochs: number) {
  const e = Array.from({ length: epochs }, (_, i) => i);
  return {
    plain: e.map((i) => (sweep * 1000 + index * 37 + i) / 1e4),
    // Not in index order, so that halving's ranking is put to the test.
    batchNorm: e.map((i) => (sweep * 1000 + index * 41 + 3 * i) / 1e4),
    // What halving ranks by: not in index order, so that its ranking is put to the test.
    testBatchNorm: e.map((i) => (sweep * 1000 + ((index * 41) % 97) + 3 * i) / 1e4),
  };
}

/** One epoch a slice; its checkpoint is the epoch count. */
class StandIn implements Trainee {
  constructor(
    private readonly options: RunnerHostOptions,
    public epochsDone = 0,
  ) {}

  advance(_iterations: number, until = this.options.epochs): void {
    // A slice may fail or its isolate die, as the world decides.
    this.options.slice();
    if (this.epochsDone < Math.min(this.options.epochs, until)) this.epochsDone++;
  }

  get done(): boolean {
    return this.epochsDone >= this.options.epochs;
  }

  accuracyLists() {
    return standInLists(this.options.sweep, this.options.index, this.epochsDone);
  }
}

/** A runner's storage, kept across crashes. */
export class RunnerStore extends CrashPoint {
  data = new Map<string, unknown>();
  alarm: number | null = null;
  /** Bumped by every set or delete of the alarm: the runtime clears a run alarm only if none came since. */
  alarmVersion = 0;

  /** Whether it holds anything (a stopped runner deleted all). */
  holds(): boolean {
    return this.data.size > 0 || this.alarm !== null;
  }
}

/** What the world gives a runner: its clock, how it reports, and the faults it suffers. */
export interface RunnerHostOptions {
  sweep: number;
  index: number;
  epochs: number;
  now: () => number;
  report: RunnerPorts["report"];
  /** Called as a slice works: may throw (a slice that fails) or crash (an isolate reset). */
  slice: () => void;
  /** Whether the next checkpoint read finds it damaged. */
  damaged: () => boolean;
}

/** A new incarnation of a runner over `store`: the real Runner with simulated ports. */
export function runnerIncarnation(store: RunnerStore, options: RunnerHostOptions): Runner {
  const incarnation = store.incarnation;
  const storage: RunnerStorage = {
    get: async <T>(key: string) => structuredClone(store.data.get(key)) as T | undefined,
    getMany: async <T>(keys: string[]) =>
      new Map(keys.filter((k) => store.data.has(k)).map((k) => [k, structuredClone(store.data.get(k)) as T])),
    put: async (entries) => {
      store.write(incarnation);
      for (const [k, v] of Object.entries(entries)) store.data.set(k, structuredClone(v));
    },
    delete: async (keys) => {
      store.write(incarnation);
      for (const k of keys) store.data.delete(k);
    },
    deleteAll: async () => {
      store.write(incarnation);
      store.data.clear();
    },
  };
  const ports: RunnerPorts = {
    storage,
    alarm: {
      get: async () => store.alarm,
      set: async (at) => {
        store.write(incarnation);
        store.alarm = at;
        store.alarmVersion++;
      },
      delete: async () => {
        store.write(incarnation);
        store.alarm = null;
        store.alarmVersion++;
      },
    },
    report: options.report,
    training: {
      create: async () => new StandIn(options),
      restore: async (_spec, pieces) => {
        if (options.damaged()) throw new CheckpointError("checkpoint checksum does not match");
        return new StandIn(options, pieces[0]?.[0] ?? 0);
      },
      save: (trainee) => [new Uint8Array([trainee.epochsDone])],
      sliceIterations: () => 1,
    },
    now: options.now,
    tuning: (name) => (name === "MAX_SLICE_FAILURES" ? 3 : 5),
    workerName: "sim",
  };
  return new Runner(ports);
}
