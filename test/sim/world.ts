/**
 * A deterministic world for sweeps: the real Coordinator (src/sweep/coordinator.ts, with the
 * lifecycle and the KV publisher it uses) and the real Runners (src/sweep/runner.ts, training a
 * cheap stand-in: runner-host.ts) over simulated ports, and a seeded scheduler that picks, step by
 * step, which message is delivered (or lost, or duplicated, or late, or cut off by a partition),
 * which alarm fires (late, early, twice), who crashes (any object between any two storage writes,
 * memory lost and storage kept), when KV fails, and when a user cancels, retries or purges.
 * About half the sweeps search with successive halving: their trials pause at rungs, and the
 * rungs' decisions must keep the best and stop the rest, each stopped one a prefix of its run.
 */

import { parseSweepConfig } from "../../src/sweep/config";
import { Coordinator } from "../../src/sweep/coordinator";
import type { CoordinatorPorts, CoordinatorTuning, RunnerPort } from "../../src/sweep/coordinator-ports";
import { keptCount } from "../../src/sweep/halving";
import { KvPublisher, type ResultsKv } from "../../src/sweep/kv-publisher";
import { LIFECYCLE, type LifecycleRules } from "../../src/sweep/lifecycle";
import type { LiveMessage } from "../../src/sweep/live-message";
import type { Runner } from "../../src/sweep/runner";
import type { ReportAnswer, RunnerReport } from "../../src/sweep/runner-protocol";
import { isFinalExperiment, isFinalSweep, type SweepSummary, type SweepView, totalEpochsDone } from "../../src/sweep/view";
import { Crash, MemoryStorage } from "./memory-storage";
import { RunnerStore, runnerIncarnation, standInLists } from "./runner-host";

export { standInLists };

/** Mulberry32: a small seeded generator. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** How long after the last fault every sweep must have ended: the watchdog gives up well within it. */
const LIVENESS_BOUND = 2500;

/** An invariant that did not hold. */
export class InvariantError extends Error {}

const TUNING: Record<CoordinatorTuning, number> = {
  MAX_PARALLEL_RUNNERS: 2,
  SLICE_WORK: 3e9,
  WATCHDOG_STALL_MS: 60,
  WATCHDOG_INTERVAL_MS: 25,
  MAX_SLICE_FAILURES: 3,
  RETAIN_DAYS: 30,
};

export interface SimOptions {
  sweeps: number;
  experiments: number;
  epochs: number;
  /** Steps with faults; then the world runs on without them until it is quiet. */
  faultSteps: number;
  rules?: LifecycleRules;
  trace?: (line: string) => void;
}

/** A message in flight: its effect, run when the scheduler delivers it. */
interface Message {
  at: number;
  run: () => void;
  describe: string;
}

/** A runner: its storage (kept), its incarnation (lost in a crash) and the alarm it runs. */
interface HostedRunner {
  store: RunnerStore;
  core: Runner;
  alarmRunning?: number;
  alarmVersionRun?: number;
  /** Faults the world put on it: slices that throw, slices whose isolate dies, a damaged checkpoint. */
  doomed: number;
  stuck: number;
  damaged: boolean;
}

/** One sweep's coordinator: its storage (kept), its incarnation (lost in a crash), what viewers and KV saw. */
interface Sweep {
  id: string;
  storage: MemoryStorage;
  core: Coordinator;
  /** Bumped by a crash: calls of an older incarnation never come back. */
  incarnation: number;
  /** What viewers were last told, per experiment, and of the sweep. */
  told: Map<number, string>;
  toldSweep?: string;
  /** KV: the result and list entry, and when each key was last written. */
  kv: { result: SweepView | null; summary: SweepSummary | null; writes: Map<string, number> };
  /** Final statuses seen, the retries asked since, and those not answered yet (asked before, they may land after). */
  finalSeen?: string;
  retries: number;
  retriesInFlight: number;
  experimentFinal: Map<number, string>;
  experimentRetries: Map<number, number>;
  experimentInFlight: Map<number, number>;
  /** The incarnation whose alarm handler is running, if one is, and the alarm's version then. */
  alarmRunning?: number;
  alarmVersionRun?: number;
  /** A purge was asked and has not answered: the user asks again once the world is quiet. */
  purgeAsked: boolean;
  purged: boolean;
  /** A retry was ever asked: a trial retried after its rung was decided is stopped there, whatever its score. */
  retriedEver: boolean;
  /**
   * A retry was asked after retention ran: one cut short by a crash after its runner restarted
   * leaves that runner a checkpoint the next retry takes (retention does not run again for it).
   */
  retriedAfterRetention: boolean;
}

export class World {
  now = 0;
  private readonly random: () => number;
  private readonly messages: Message[] = [];
  readonly sweeps: Sweep[] = [];
  readonly runners = new Map<string, HostedRunner>();
  private faultsLeft: number;
  /** Starts over not seen yet per experiment (a retry, or a runner started afresh): each lets its lists go back once. */
  private readonly resets = new Map<string, number>();

  private startOver(key: string): void {
    this.resets.set(key, (this.resets.get(key) ?? 0) + 1);
  }
  /** The most epochs each experiment has shown. */
  private readonly mostEpochs = new Map<string, number>();
  /** When the last fault came: every sweep must be final soon after (LIVENESS_BOUND). */
  private lastFaultAt = 0;
  /** Runners cut off from the network until a time: every message to or from them is lost. */
  private readonly partitioned = new Map<string, number>();
  /** A violation seen inside a handler (where the coordinator's own catch would hide a throw). */
  private violation: string | undefined;
  private readonly runnerShards: number;
  /** The runner process each runner was first reached on. */
  private readonly shards = new Map<string, number>();
  /** SLICE_WORK: every sweep here is one slice an experiment (so runs four times as many per process on two), or none is. */
  private readonly sliceWork: number;

  constructor(
    seed: number,
    private readonly options: SimOptions,
  ) {
    this.random = rng(seed);
    this.faultsLeft = options.faultSteps;
    this.runnerShards = 1 + (seed % 2);
    this.sliceWork = Math.floor(seed / 2) % 2 === 0 ? TUNING.SLICE_WORK : 1e5;
  }

  /** How many sweeps this world runs. */
  get sweepCount(): number {
    return this.options.sweeps;
  }

  private log(line: string): void {
    this.options.trace?.(`t=${this.now} ${line}`);
  }

  private chance(p: number): boolean {
    return this.faultsLeft > 0 && this.random() < p;
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)];
  }

  /** Queues a message; with faults on it may be lost, duplicated or late; to or from a partitioned runner it is lost. */
  private send(describe: string, run: () => void, { losable = true, runner }: { losable?: boolean; runner?: string } = {}): void {
    const cut = runner !== undefined && (this.partitioned.get(runner) ?? 0) > this.now;
    if (cut || (losable && this.chance(0.04))) {
      this.log(`lost: ${describe}`);
      return;
    }
    const at = this.now + 1 + (this.chance(0.2) ? Math.floor(this.random() * 40) : 0);
    this.messages.push({ at, run, describe });
    if (losable && this.chance(0.04))
      this.messages.push({ at: at + Math.floor(this.random() * 20), run, describe: `${describe} (again)` });
  }

  /**
   * A call from sweep `s`'s coordinator: delivered as a message, answered by another. A lost call
   * or answer fails the call (as an RPC error does); a crashed incarnation never hears back.
   */
  private call<T>(s: number, describe: string, handle: () => T | Promise<T>, runner?: string): Promise<T> {
    const sweep = this.sweeps[s];
    const incarnation = sweep.incarnation;
    return new Promise<T>((resolve, reject) => {
      const answer = (settle: () => void) => {
        if (sweep.incarnation === incarnation) settle();
      };
      let delivered = false;
      this.send(
        describe,
        () => {
          if (delivered) return; // a repeated call is answered once
          delivered = true;
          Promise.resolve()
            .then(handle)
            .then(
              (value) => this.send(`answer to ${describe}`, () => answer(() => resolve(value)), { runner }),
              (e) => this.send(`error answer to ${describe}`, () => answer(() => reject(e)), { runner }),
            );
        },
        { runner },
      );
      // An RPC that hears nothing fails after a while.
      this.messages.push({
        at: this.now + 200,
        run: () => answer(() => reject(new Error(`no answer: ${describe}`))),
        describe: `timeout of ${describe}`,
      });
    });
  }

  /** Adds a sweep and posts it. */
  async addSweep(): Promise<void> {
    const s = this.sweeps.length;
    const storage = new MemoryStorage();
    const sweep: Sweep = {
      id: `sweep${s}`.padEnd(32, "0"),
      storage,
      core: undefined as unknown as Coordinator,
      incarnation: 0,
      told: new Map(),
      kv: { result: null, summary: null, writes: new Map() },
      retries: 0,
      retriesInFlight: 0,
      experimentFinal: new Map(),
      experimentRetries: new Map(),
      experimentInFlight: new Map(),
      purgeAsked: false,
      purged: false,
      retriedEver: false,
      retriedAfterRetention: false,
    };
    this.sweeps.push(sweep);
    sweep.core = this.incarnate(s);
    const { epochs, experiments } = this.options;
    // A halving sweep: trials of a search (one or two weight scales each), compared at one or two rungs.
    const halving = {
      weightScales: s % 2 === 1 ? [1, 0.5] : [1],
      search: { trials: experiments + 1, space: { learningRate: { log10Uniform: [-3, -1] } } },
      halving: { rungs: epochs >= 4 ? [1, epochs - 2] : [1], keep: 0.5 },
    };
    const plain = { weightScales: Array.from({ length: experiments }, (_, i) => 1 / (i + 1)) };
    const config = parseSweepConfig(
      { ...(this.random() < 0.5 ? halving : plain), epochs, trainSize: 100, testSize: 10 },
      () => s,
    );
    await this.guard(s, () => sweep.core.create(sweep.id, config, "hash", new Date(this.now).toISOString()));
  }

  /** A new incarnation of sweep `s`'s coordinator over its kept storage. */
  private incarnate(s: number): Coordinator {
    const sweep = this.sweeps[s];
    const incarnation = sweep.incarnation;
    sweep.storage.incarnation = incarnation;
    sweep.storage.onCrash = () => this.crash(s, "between two writes");
    // Its writes fail once it has crashed; the data stays the sweep's.
    const storage = sweep.storage.as(incarnation);
    const alive = () => sweep.incarnation === incarnation;
    const kv: ResultsKv = {
      summaryKey: (summary) => `index:${summary.id}`,
      resultKey: (id) => `result:${id}`,
      putSummary: (summary) => this.kvWrite(s, `index:${sweep.id}`, () => (sweep.kv.summary = summary)),
      putResult: (view) => this.kvWrite(s, `result:${sweep.id}`, () => (sweep.kv.result = structuredClone(view))),
      deleteResult: () => this.kvWrite(s, `result:${sweep.id}`, () => (sweep.kv.result = null)),
      deleteSummary: () => this.kvWrite(s, `index:${sweep.id}`, () => (sweep.kv.summary = null)),
    };
    const publisher = new KvPublisher(
      storage,
      kv,
      () => this.now,
      (ms) => this.sleep(s, ms),
    );
    const ports: CoordinatorPorts = {
      table: storage,
      transaction: (fn, wake) => storage.transaction(fn, wake, this.now),
      alarm: {
        get: async () => storage.data.alarm,
        set: async (at) => {
          storage.write();
          this.log(`sweep ${s}: alarm set for ${at}`);
          storage.data.alarm = at;
          storage.alarmVersion++;
        },
        delete: async () => {
          storage.write();
          storage.data.alarm = null;
          storage.alarmVersion++;
        },
      },
      mark: {
        get: async (key) => storage.data.marks[key],
        put: async (key, value) => {
          storage.write();
          storage.data.marks[key] = value;
        },
      },
      deleteAll: async () => storage.deleteAll(),
      runner: (_sweepId, index, shard) => this.runnerPort(s, index, shard),
      // Half the worlds place experiments on two runner processes, as the local layout does.
      runnerShards: this.runnerShards,
      quota: {
        acquire: async (_id, wanted) => ({ granted: wanted, running: 0, limit: 1024, ahead: 0 }),
        release: async () => undefined,
      },
      publisher: {
        publish: (view) => publisher.publish(view),
        unpublish: (view) => publisher.unpublish(view),
      },
      viewers: {
        count: () => (alive() ? 1 : 0),
        broadcast: (message: LiveMessage) => {
          if (!alive()) return;
          this.log(
            `viewers of sweep ${s}: ${message.type} ${message.type === "progress" ? `${message.status} ${message.experiment?.index}:${message.experiment?.status}` : message.type === "final" ? message.status : ""}`,
          );
          if (message.type === "progress" && message.experiment)
            sweep.told.set(message.experiment.index, message.experiment.status);
          if (message.type !== "view") sweep.toldSweep = message.status;
          // After the final message a viewer fetches the view: every status as it stands is seen.
          if (message.type === "final") for (const e of storage.data.experiments) sweep.told.set(e.index, e.status);
        },
        closeAll: () => undefined,
      },
      now: () => this.now,
      tuning: (name) => (name === "SLICE_WORK" ? this.sliceWork : TUNING[name]),
      log: () => undefined,
    };
    return new Coordinator(ports, this.options.rules ?? LIFECYCLE);
  }

  /** A KV write: it may fail; two writes of one key within a second break KV's rule. */
  private async kvWrite(s: number, key: string, apply: () => void): Promise<void> {
    const sweep = this.sweeps[s];
    if (this.chance(0.08)) throw new Error("KV answered 429");
    const last = sweep.kv.writes.get(key);
    if (last !== undefined && this.now - last < 1000) {
      this.violation ??= `KV key ${key} written twice within a second (at ${last} and ${this.now})`;
    }
    sweep.kv.writes.set(key, this.now);
    this.log(`KV write ${key}`);
    apply();
  }

  private sleep(s: number, ms: number): Promise<void> {
    const sweep = this.sweeps[s];
    const incarnation = sweep.incarnation;
    return new Promise((resolve) =>
      this.messages.push({
        at: this.now + ms,
        run: () => sweep.incarnation === incarnation && resolve(),
        describe: `sleep ${ms}`,
      }),
    );
  }

  /**
   * Runs a coordinator call: its value, or undefined when it threw (an RPC it made failed) or
   * crashed, which replaces the incarnation (memory lost, storage kept).
   */
  private async guard<T>(s: number, call: () => Promise<T>): Promise<{ value: T } | undefined> {
    const sweep = this.sweeps[s];
    const incarnation = sweep.incarnation;
    try {
      return { value: await call() };
    } catch (e) {
      if (e instanceof Crash && sweep.incarnation === incarnation) this.crash(s, "mid-call");
      return undefined;
    }
  }

  private crash(s: number, why: string): void {
    const sweep = this.sweeps[s];
    // An alarm whose handler did not finish is run again by the runtime.
    if (sweep.alarmRunning === sweep.incarnation) {
      const again = this.now + 5;
      sweep.storage.data.alarm = Math.min(sweep.storage.data.alarm ?? again, again);
      sweep.alarmRunning = undefined;
    }
    sweep.incarnation++;
    sweep.core = this.incarnate(s);
    sweep.storage.crashAfter = undefined;
    this.log(`crash: sweep ${s}'s coordinator ${why}`);
  }

  // ---- the runners

  /** Runner `key`, created empty (as a Durable Object is) on first use. */
  private runner(key: string): HostedRunner {
    let hosted = this.runners.get(key);
    if (!hosted) {
      const store = new RunnerStore();
      hosted = { store, core: undefined as unknown as Runner, doomed: 0, stuck: 0, damaged: false };
      this.runners.set(key, hosted);
      hosted.core = this.incarnateRunner(key);
    }
    return hosted;
  }

  private incarnateRunner(key: string): Runner {
    const hosted = this.runners.get(key) as HostedRunner;
    const [s, index] = key.split(":").map(Number);
    hosted.store.onCrash = () => this.crashRunner(key, "between two writes");
    return runnerIncarnation(hosted.store, {
      sweep: s,
      index,
      epochs: this.options.epochs,
      now: () => this.now,
      report: (_spec, report) => this.reportToCoordinator(key, report, hosted.store.incarnation),
      slice: () => {
        if (hosted.stuck > 0) {
          // The isolate dies mid-slice: no catch runs, nothing more is written.
          hosted.stuck--;
          this.crashRunner(key, "mid-slice");
          throw new Crash("isolate reset");
        }
        if (hosted.doomed > 0) {
          hosted.doomed--;
          throw new Error("the slice threw");
        }
      },
      damaged: () => {
        const damaged = hosted.damaged;
        hosted.damaged = false;
        return damaged;
      },
    });
  }

  private crashRunner(key: string, why: string): void {
    const hosted = this.runners.get(key);
    if (!hosted) return;
    // An alarm whose handler did not finish is run again by the runtime.
    if (hosted.alarmRunning === hosted.store.incarnation) {
      const again = this.now + 5;
      hosted.store.alarm = Math.min(hosted.store.alarm ?? again, again);
      hosted.alarmRunning = undefined;
    }
    hosted.store.incarnation++;
    hosted.store.crashAfter = undefined;
    hosted.core = this.incarnateRunner(key);
    this.log(`crash: runner ${key} ${why}`);
  }

  /** Runs a runner call; a crash in it is already handled (its incarnation replaced). */
  private async runnerCall<T>(key: string, call: (core: Runner) => Promise<T>): Promise<T> {
    const hosted = this.runner(key);
    try {
      return await call(hosted.core);
    } catch (e) {
      if (e instanceof Crash) return new Promise<T>(() => {}); // a dead isolate answers nothing
      throw e;
    }
  }

  private runnerPort(s: number, index: number, shard: number): RunnerPort {
    const key = `${s}:${index}`;
    // A runner is an object of one process: asked on another, it would be another, holding nothing.
    const first = this.shards.get(key) ?? shard;
    this.shards.set(key, first);
    if (shard !== first) this.violation ??= `runner ${key} reached on runner process ${shard}, started on ${first}`;
    return {
      start: (spec) =>
        this.call(
          s,
          `start ${key}`,
          async () => {
            const fresh = await this.runnerCall(key, (core) => core.start(spec));
            // A runner started anew starts its lists over.
            if (fresh) this.startOver(key);
            return fresh;
          },
          key,
        ),
      kick: () => this.call(s, `kick ${key}`, () => this.runnerCall(key, (core) => core.kick()), key),
      retry: (fromScratch, spec) =>
        this.call(s, `retry ${key}`, () => this.runnerCall(key, (core) => core.retry(fromScratch, spec)), key),
      cancel: () => this.call(s, `cancel ${key}`, () => this.runnerCall(key, (core) => core.cancel()), key),
    };
  }

  /** A runner's report, as an RPC to its coordinator: a lost call or answer fails it after a while. */
  private reportToCoordinator(key: string, report: RunnerReport, incarnation: number): Promise<ReportAnswer> {
    const [s, index] = key.split(":").map(Number);
    const hosted = this.runner(key);
    return new Promise<ReportAnswer>((resolve, reject) => {
      const answer = (settle: () => void) => {
        if (hosted.store.incarnation === incarnation) settle();
      };
      let delivered = false;
      this.send(
        `report ${key} ${report.status}${"epochsDone" in report ? ` ${report.epochsDone}` : ""}`,
        () => {
          if (delivered) return;
          delivered = true;
          const sweep = this.sweeps[s];
          const reply = (value: ReportAnswer | undefined) =>
            this.send(
              `answer ${key} ${value}`,
              () => answer(() => (value === undefined ? reject(new Error("the coordinator failed")) : resolve(value))),
              { runner: key },
            );
          if (sweep.purged) return reply("stop");
          void this.guard(s, () => sweep.core.report(index, report)).then((done) => reply(done?.value));
        },
        { runner: key },
      );
      this.messages.push({
        at: this.now + 200,
        run: () => answer(() => reject(new Error("no answer"))),
        describe: `timeout of report ${key}`,
      });
    });
  }

  // ---- users

  /** The user retries a failed experiment of sweep `s` (one picked by the seed, unless given). */
  private async userRetry(s: number, given?: { index: number; fromScratch: boolean }): Promise<void> {
    const sweep = this.sweeps[s];
    const failed = sweep.storage.withStatus("failed");
    if (failed.length === 0) return;
    const index = given?.index ?? this.pick(failed);
    const fromScratch = given?.fromScratch ?? this.random() < 0.5;
    this.log(`user: retry ${s}:${index}${fromScratch ? " from the seed" : ""}`);
    sweep.retriedEver = true;
    if (sweep.storage.data.marks.checkpointsRemoved !== undefined) sweep.retriedAfterRetention = true;
    this.startOver(`${s}:${index}`);
    const bump = (map: Map<number, number>, by: number) => map.set(index, (map.get(index) ?? 0) + by);
    sweep.retries++;
    sweep.retriesInFlight++;
    bump(sweep.experimentRetries, 1);
    bump(sweep.experimentInFlight, 1);
    try {
      const answer = await this.guard(s, () => sweep.core.retry(index, fromScratch));
      if (answer && "refused" in answer.value) this.log(`user: retry ${s}:${index} refused: ${answer.value.message}`);
    } finally {
      sweep.retriesInFlight--;
      bump(sweep.experimentInFlight, -1);
    }
  }

  /**
   * Once the world is quiet: every object healed (no slice throws or dies, no crash armed, no
   * partition), and the
   * user retries each failed experiment of a sweep that is neither cancelled nor purged, from its
   * checkpoint or its seed. Returns whether any was retried (the world then runs to quiet again).
   */
  async retryFailed(): Promise<boolean> {
    for (const r of this.runners.values()) {
      r.doomed = 0;
      r.stuck = 0;
      r.damaged = false;
      r.store.crashAfter = undefined;
    }
    for (const sweep of this.sweeps) sweep.storage.crashAfter = undefined;
    this.partitioned.clear();
    // The liveness bound counts from the user's acts too.
    this.lastFaultAt = this.now;
    let asked = false;
    this.sweeps.forEach((sweep, s) => {
      if (!this.recoverable(s)) return;
      for (const index of sweep.storage.withStatus("failed")) {
        asked = true;
        // Not awaited: its messages are delivered by the steps that follow.
        void this.userRetry(s, { index, fromScratch: this.random() < 0.5 });
      }
    });
    // Each retry's first message is queued before the world looks for the next step.
    await this.settle();
    return asked;
  }

  /** A sweep a user can still bring to completion: not cancelled, not purged. */
  private recoverable(s: number): boolean {
    const sweep = this.sweeps[s];
    return !sweep.purged && !sweep.purgeAsked && sweep.storage.state()?.status !== "cancelled";
  }

  /** After retryFailed and quiet: every experiment of a recoverable sweep completed (a kept trial included). */
  checkRecovered(): void {
    this.sweeps.forEach((sweep, s) => {
      if (!this.recoverable(s)) return;
      const left = sweep.storage.data.experiments.filter((e) => e.status !== "completed");
      if (left.length > 0) {
        const what = left.map((e) => `${e.index} ${e.status}${e.error ? ` (${e.error})` : ""}`).join(", ");
        throw new InvariantError(`sweep ${s}: retried once faults stopped, yet ${what}`);
      }
    });
  }

  private async userPurge(s: number): Promise<void> {
    const sweep = this.sweeps[s];
    const state = sweep.storage.state();
    if (!state || !isFinalSweep(state.status)) return;
    this.log(`user: purge sweep ${s}`);
    sweep.purgeAsked = true;
    const result = await this.guard(s, () => sweep.core.purge());
    if (result && "purged" in result.value) sweep.purged = true;
    if (result) sweep.purgeAsked = false;
  }

  // ---- the scheduler

  /** A fault or a user's act, picked by the seed. */
  private async fault(): Promise<void> {
    this.lastFaultAt = this.now;
    const s = Math.floor(this.random() * this.sweeps.length);
    const sweep = this.sweeps[s];
    const keys = [...this.runners.keys()];
    const kind = this.random();
    if (kind < 0.08 && keys.length > 0) {
      // A runner's next handler crashes after 0–3 more writes.
      const r = this.runners.get(this.pick(keys));
      if (r) r.store.crashAfter = Math.floor(this.random() * 4);
      this.log("a runner's crash armed");
    } else if (kind < 0.13 && keys.length > 0) {
      const key = this.pick(keys);
      const r = this.runners.get(key);
      // A few slices, or every one (an experiment that exceeds its isolate's memory).
      if (r) r.stuck = this.random() < 0.2 ? Number.POSITIVE_INFINITY : 1 + Math.floor(this.random() * 5);
      this.log(`runner ${key}: its next ${r?.stuck} slices die with their isolate`);
    } else if (kind < 0.18 && keys.length > 0) {
      const key = this.pick(keys);
      const r = this.runners.get(key);
      // A pending alarm given up (the watchdog wakes it); only while its sweep lives, and no purge
      // was asked (the coordinator's alarm then does nothing, and no watchdog runs).
      const running = r && r.alarmRunning === r.store.incarnation && r.alarmVersionRun === r.store.alarmVersion;
      const owner = this.sweeps[Number(key.split(":")[0])];
      if (r && !running && !owner.purged && !owner.purgeAsked) {
        r.store.alarm = null;
        this.log(`runner ${key}: its alarm lost`);
      }
    } else if (kind < 0.22 && keys.length > 0) {
      const key = this.pick(keys);
      const r = this.runners.get(key);
      const running = r && r.alarmRunning === r.store.incarnation && r.alarmVersionRun === r.store.alarmVersion;
      if (r && r.store.alarm !== null && !running) {
        r.store.alarm += 1 + Math.floor(this.random() * 60);
        this.log(`runner ${key}: its alarm late`);
      }
    } else if (kind < 0.3 && keys.length > 0) {
      // A runner cut off from its coordinator for a while: reports and calls lost both ways.
      const key = this.pick(keys);
      // Most heal soon; some only long after (longer than the watchdog waits).
      const soon = this.random() < 0.9;
      this.partitioned.set(
        key,
        this.now + (soon ? 100 + Math.floor(this.random() * 500) : 4000 + Math.floor(this.random() * 4000)),
      );
      this.log(`runner ${key}: cut off until ${this.partitioned.get(key)}`);
    } else if (kind < 0.35 && keys.length > 0) {
      const key = this.pick(keys);
      const r = this.runners.get(key);
      if (r) {
        // One throw is retried; three in a row fail the experiment.
        r.doomed = this.random() < 0.3 ? 1 : 3;
        r.damaged = this.random() < 0.2;
      }
      this.log(`runner ${key}: its next slices throw${r?.damaged ? ", its checkpoint damaged" : ""}`);
    } else if (kind < 0.4) {
      // The coordinator's next handler crashes after 0–3 more writes.
      sweep.storage.crashAfter = Math.floor(this.random() * 4);
      this.log(`sweep ${s}: a crash armed after ${sweep.storage.crashAfter} writes`);
    } else if (kind < 0.46) {
      this.crash(s, "between two events");
    } else if (kind < 0.54) {
      // A pending alarm fires late (one that is running has fired already).
      const running = sweep.alarmRunning === sweep.incarnation && sweep.alarmVersionRun === sweep.storage.alarmVersion;
      if (sweep.storage.data.alarm !== null && !running) {
        sweep.storage.data.alarm += 1 + Math.floor(this.random() * 50);
        this.log(`sweep ${s}: its alarm late`);
      }
    } else if (kind < 0.62) {
      this.log(`sweep ${s}: alarm early or twice`);
      if (sweep.storage.exists()) await this.guard(s, () => sweep.core.alarm());
    } else if (kind < 0.65 && keys.length > 0) {
      const key = this.pick(keys);
      const r = this.runners.get(key);
      if (r) {
        r.store.data.clear();
        r.store.alarm = null;
        this.crashRunner(key, "and lost its storage");
      }
    } else if (kind < 0.7) {
      // Often a retry is under way as the cancel comes: the two race.
      if (this.random() < 0.8) void this.userRetry(s);
      this.log(`user: cancel sweep ${s}`);
      await this.guard(s, () => sweep.core.cancel());
    } else if (kind < 0.92) {
      await this.userRetry(s);
    } else await this.userPurge(s);
  }

  /** Lets every handler run until it waits on the world again. */
  private settle(): Promise<void> {
    return new Promise((resolve) => setImmediate(resolve));
  }

  /** One step. Returns false when nothing is left to do. */
  async step(): Promise<boolean> {
    if (this.faultsLeft > 0) {
      this.faultsLeft--;
      if (this.random() < 0.15) {
        // Not awaited: an act waits on messages that later steps deliver.
        void this.fault();
        await this.settle();
        this.check();
        return true;
      }
    }
    const choices: (() => void)[] = [];
    for (const m of this.messages.filter((x) => x.at <= this.now)) {
      choices.push(() => {
        this.messages.splice(this.messages.indexOf(m), 1);
        if (!m.describe.startsWith("timeout") && !m.describe.startsWith("sleep")) this.log(m.describe);
        m.run();
      });
    }
    this.sweeps.forEach((sweep, s) => {
      const at = sweep.storage.data.alarm;
      if (at === null || at > this.now) return;
      if (sweep.alarmRunning === sweep.incarnation && sweep.alarmVersionRun === sweep.storage.alarmVersion) return;
      choices.push(() => {
        this.log(`alarm sweep ${s}`);
        // As workerd does: the running alarm still reads as set (in the past) while it runs; once it
        // finishes, it is cleared unless set again; one that throws or whose isolate dies runs again.
        const incarnation = sweep.incarnation;
        const version = sweep.storage.alarmVersion;
        sweep.alarmRunning = incarnation;
        sweep.alarmVersionRun = version;
        void this.guard(s, () => sweep.core.alarm()).then((ran) => {
          if (sweep.alarmRunning !== incarnation) return;
          sweep.alarmRunning = undefined;
          const untouched = sweep.storage.alarmVersion === version;
          if (ran === undefined && (untouched || sweep.storage.data.alarm === null)) sweep.storage.data.alarm = this.now + 10;
          else if (untouched) sweep.storage.data.alarm = null;
        });
      });
    });
    for (const [key, r] of this.runners) {
      const at = r.store.alarm;
      if (at === null || at > this.now) continue;
      if (r.alarmRunning === r.store.incarnation && r.alarmVersionRun === r.store.alarmVersion) continue;
      choices.push(() => {
        this.log(`alarm runner ${key}`);
        const incarnation = r.store.incarnation;
        const version = r.store.alarmVersion;
        r.alarmRunning = incarnation;
        r.alarmVersionRun = version;
        void r.core.alarm().then(
          () => {
            if (r.alarmRunning !== incarnation) return;
            r.alarmRunning = undefined;
            if (r.store.alarmVersion === version) r.store.alarm = null;
          },
          (e) => {
            if (r.alarmRunning !== incarnation) return;
            r.alarmRunning = undefined;
            // An alarm that throws runs again (a crash already set it going again).
            if (!(e instanceof Crash) && (r.store.alarm === null || r.store.alarmVersion === version))
              r.store.alarm = this.now + 10;
          },
        );
      });
    }
    if (choices.length === 0) {
      const next = Math.min(
        ...this.messages.map((m) => m.at),
        ...this.sweeps.map((sw) => {
          const at = sw.storage.data.alarm;
          const running = sw.alarmRunning === sw.incarnation && sw.alarmVersionRun === sw.storage.alarmVersion;
          return at !== null && !running ? Math.max(at, this.now + 1) : Number.POSITIVE_INFINITY;
        }),
        ...[...this.runners.values()].map((r) => {
          const at = r.store.alarm;
          const running = r.alarmRunning === r.store.incarnation && r.alarmVersionRun === r.store.alarmVersion;
          return at !== null && !running ? Math.max(at, this.now + 1) : Number.POSITIVE_INFINITY;
        }),
      );
      if (!Number.isFinite(next)) {
        this.now += 1;
        // A purge that never answered (its coordinator crashed) is asked again, as its user would.
        const unanswered = this.sweeps.findIndex((sw) => sw.purgeAsked && !sw.purged);
        if (this.faultsLeft === 0 && unanswered >= 0) {
          void this.userPurge(unanswered);
          await this.settle();
          return true;
        }
        return this.faultsLeft > 0;
      }
      this.now = Math.max(this.now + 1, next);
      return true;
    }
    this.pick(choices)();
    await this.settle();
    this.check();
    return true;
  }

  /** The invariants that hold after every step. */
  check(): void {
    if (this.violation) throw new InvariantError(this.violation);
    this.sweeps.forEach((sweep, s) => {
      const state = sweep.storage.state();
      if (!state) return;
      for (const e of sweep.storage.data.experiments) {
        // Lists only grow, but for a runner that started over.
        const key = `${s}:${e.index}`;
        if (e.epochsDone < (this.mostEpochs.get(key) ?? 0) && !this.resets.get(key)) {
          throw new InvariantError(`experiment ${key} went back from ${this.mostEpochs.get(key)} to ${e.epochsDone} epochs`);
        }
        const most = this.mostEpochs.get(key) ?? 0;
        if (e.epochsDone < most) this.resets.set(key, (this.resets.get(key) ?? 1) - 1); // a start over, seen
        this.mostEpochs.set(key, e.epochsDone < most ? e.epochsDone : Math.max(e.epochsDone, most));
        if (e.status === "completed" || e.status === "paused") {
          // A trial stopped or paused at a rung holds a prefix of its run, ending at the rung.
          const atRung = e.stopped || e.status === "paused";
          const rungs = state && sweep.storage.data.sweep?.config.halving?.rungs;
          if (atRung && (e.pauseAt === null || e.epochsDone !== e.pauseAt || !rungs?.includes(e.pauseAt))) {
            throw new InvariantError(
              `experiment ${s}:${e.index} is ${e.status} at ${e.epochsDone} epochs, its rung ${e.pauseAt}`,
            );
          }
          const want = standInLists(s, e.index, atRung ? e.epochsDone : this.options.epochs);
          if (JSON.stringify(e.lists) !== JSON.stringify(want)) {
            throw new InvariantError(`experiment ${s}:${e.index} ${e.status} with lists that are not the stand-in's`);
          }
        }
        // Viewers see every status (after a final message, by fetching the view).
        const told = sweep.told.get(e.index);
        if (e.status !== "queued" && e.status !== "cancelled" && told !== e.status) {
          throw new InvariantError(`experiment ${s}:${e.index} is ${e.status}, viewers were told ${told ?? "nothing"}`);
        }
        const was = sweep.experimentFinal.get(e.index);
        const retried = (sweep.experimentRetries.get(e.index) ?? 0) > 0;
        // Nothing changes once a sweep was seen cancelled, not even by a retry (it is refused there).
        if (was !== undefined && was !== e.status && (!retried || sweep.finalSeen === "cancelled")) {
          throw new InvariantError(`experiment ${s}:${e.index} was ${was} and became ${e.status} without a retry`);
        }
        if (isFinalExperiment(e.status)) {
          // Retries asked before this status may still land after it.
          if (was !== e.status) sweep.experimentRetries.set(e.index, sweep.experimentInFlight.get(e.index) ?? 0);
          sweep.experimentFinal.set(e.index, e.status);
        } else sweep.experimentFinal.delete(e.index);
      }
      this.checkRungs(s, false);
      if (isFinalSweep(state.status)) {
        if (sweep.finalSeen === "cancelled" && state.status !== "cancelled") {
          throw new InvariantError(`sweep ${s} was cancelled and became ${state.status}`);
        }
        if (sweep.finalSeen !== undefined && sweep.finalSeen !== state.status && sweep.retries === 0) {
          throw new InvariantError(
            `sweep ${s} was ${sweep.finalSeen} and became ${state.status} without a retry (${sweep.retries} asked, ${sweep.retriesInFlight} in flight)`,
          );
        }
        if (sweep.finalSeen !== state.status) sweep.retries = sweep.retriesInFlight;
        sweep.finalSeen = state.status;
      } else if (sweep.finalSeen === "cancelled") {
        throw new InvariantError(`sweep ${s} was cancelled and became ${state.status}`);
      } else if (sweep.finalSeen !== undefined && sweep.retries === 0) {
        throw new InvariantError(`sweep ${s} was ${sweep.finalSeen} and became ${state.status} without a retry`);
      }
    });
  }

  /**
   * Successive halving's rungs: no rung keeps more than its share of the trials that entered it;
   * at the end, without retries, every kept trial scored above every one stopped there.
   */
  private checkRungs(s: number, ended: boolean): void {
    const { data } = this.sweeps[s].storage;
    const halving = data.sweep?.config.halving;
    if (!halving) return;
    const groups = new Map<string, typeof data.experiments>();
    for (const e of data.experiments)
      groups.set(`${e.repeat}:${e.weightScale}`, [...(groups.get(`${e.repeat}:${e.weightScale}`) ?? []), e]);
    const score = (index: number, rung: number) => standInLists(s, index, rung).testBatchNorm[rung - 1];
    for (const group of groups.values()) {
      for (const rung of halving.rungs) {
        const entered = group.filter((e) => e.pauseAt === null || e.pauseAt >= rung);
        const kept = group.filter((e) => e.pauseAt === null || e.pauseAt > rung);
        if (kept.length > keptCount(entered.length, halving.keep)) {
          throw new InvariantError(
            `sweep ${s}: rung ${rung} kept ${kept.length} of the ${entered.length} trials that entered it`,
          );
        }
        if (!ended || this.sweeps[s].retriedEver) continue;
        const stopped = group.filter((e) => e.stopped && e.pauseAt === rung);
        for (const k of kept)
          for (const x of stopped)
            if (score(k.index, rung) < score(x.index, rung))
              throw new InvariantError(
                `sweep ${s}: rung ${rung} kept trial ${k.index} and stopped ${x.index}, which scored higher`,
              );
      }
    }
  }

  /** The invariants that hold once the world is quiet. */
  checkEnd(): void {
    this.sweeps.forEach((sweep, s) => {
      if (sweep.purged) {
        const left = [...this.runners].filter(([k, r]) => k.startsWith(`${s}:`) && r.store.holds()).map(([k]) => k);
        if (left.length > 0) throw new InvariantError(`sweep ${s} purged, yet runners ${left.join(", ")} hold storage`);
        if (sweep.storage.exists() || Object.keys(sweep.storage.data.log).length > 0 || sweep.storage.data.alarm !== null) {
          const held = JSON.stringify({
            tables: sweep.storage.exists(),
            log: Object.keys(sweep.storage.data.log),
            alarm: sweep.storage.data.alarm,
          });
          throw new InvariantError(`sweep ${s} purged, yet its coordinator holds storage: ${held}`);
        }
        if (sweep.kv.result || sweep.kv.summary) throw new InvariantError(`sweep ${s} purged, yet KV holds it`);
        return;
      }
      const view = sweep.storage.view();
      if (!view || !isFinalSweep(view.status)) throw new InvariantError(`sweep ${s} never ended: ${view?.status}`);
      this.checkRungs(s, true);
      // Once retention ran, no runner of the sweep keeps a checkpoint (a completed one deletes its
      // own), but a failed one retried after it.
      if (sweep.storage.data.marks.checkpointsRemoved === view.completedAt) {
        const failed = new Set(sweep.retriedAfterRetention ? sweep.storage.withStatus("failed") : []);
        const left = [...this.runners]
          .filter(([k, r]) => k.startsWith(`${s}:`) && r.store.data.size > 0 && !failed.has(Number(k.split(":")[1])))
          .map(([k]) => k);
        if (left.length > 0) throw new InvariantError(`sweep ${s}: retention ran, yet runners ${left.join(", ")} hold storage`);
      }
      const endedAt = Date.parse(view.completedAt ?? "");
      if (endedAt > this.lastFaultAt + LIVENESS_BOUND) {
        throw new InvariantError(
          `sweep ${s} ended at ${endedAt}, more than ${LIVENESS_BOUND} after the last fault (${this.lastFaultAt})`,
        );
      }
      const kv = sweep.kv.result;
      if (!kv || kv.status !== view.status || totalEpochsDone(kv) !== totalEpochsDone(view)) {
        throw new InvariantError(
          `sweep ${s}: KV holds ${kv ? `${kv.status} (${totalEpochsDone(kv)} epochs)` : "nothing"}, the coordinator ${view.status} (${totalEpochsDone(view)} epochs)`,
        );
      }
    });
  }
}
