/**
 * A deterministic world for sweeps: the real Coordinator (src/sweep/coordinator.ts, with the
 * lifecycle and the KV publisher it uses) over simulated ports, runners whose training is a cheap
 * stand-in, and a seeded scheduler that picks, step by step, which message is delivered (or lost,
 * or duplicated, or late), which alarm fires (late, early, twice), who crashes (a coordinator
 * between any two storage writes, memory lost and storage kept), when KV fails, and when a user
 * cancels, retries or purges. The runners are modelled here on ExperimentRunner's protocol.
 */

import { parseSweepConfig } from "../../src/sweep/config";
import { Coordinator } from "../../src/sweep/coordinator";
import type { CoordinatorPorts, CoordinatorTuning, RunnerPort } from "../../src/sweep/coordinator-ports";
import { KvPublisher, type ResultsKv } from "../../src/sweep/kv-publisher";
import { LIFECYCLE, type LifecycleRules } from "../../src/sweep/lifecycle";
import type { LiveMessage } from "../../src/sweep/live-message";
import type { KickResult, ReportAnswer, RunnerReport, RunnerSpec } from "../../src/sweep/runner-protocol";
import { isFinalExperiment, isFinalSweep, type SweepSummary, type SweepView, totalEpochsDone } from "../../src/sweep/view";
import { Crash, MemoryStorage } from "./memory-storage";

/** Bugs of the runner's protocol that can be put back, each fixed before in ExperimentRunner. */
export interface RunnerBugs {
  /** A runner whose final report fails to send forgets it (no resend). */
  finalReportDroppedOnce?: boolean;
}

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

/** The stand-in for training: the lists of experiment `index` of sweep `sweep` after `epochs` epochs. */
export function standInLists(sweep: number, index: number, epochs: number) {
  const e = Array.from({ length: epochs }, (_, i) => i);
  return {
    plain: e.map((i) => (sweep * 1000 + index * 37 + i) / 1e4),
    batchNorm: e.map((i) => (sweep * 1000 + index * 41 + 3 * i) / 1e4),
  };
}

/** An invariant that did not hold. */
export class InvariantError extends Error {}

const TUNING: Record<CoordinatorTuning, number> = {
  MAX_PARALLEL_RUNNERS: 2,
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
  bugs?: RunnerBugs;
  trace?: (line: string) => void;
}

/** A message in flight: its effect, run when the scheduler delivers it. */
interface Message {
  at: number;
  run: () => void;
  describe: string;
}

/** A runner's storage (kept across crashes). */
interface RunnerStore {
  spec: RunnerSpec;
  state: "running" | "completed" | "failed";
  epochsDone: number;
  final?: RunnerReport;
  alarm: number | null;
  failures: number;
  /** Slices that will die before doing anything (an isolate reset over and over). */
  stuck: number;
  /** Slices that will throw. */
  doomed: number;
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
  /** The incarnation whose alarm handler is running, if one is, and the alarm's time. */
  alarmRunning?: number;
  alarmTime?: number;
  /** A purge was asked and has not answered: the user asks again once the world is quiet. */
  purgeAsked: boolean;
  purged: boolean;
}

export class World {
  now = 0;
  private readonly random: () => number;
  private readonly messages: Message[] = [];
  readonly sweeps: Sweep[] = [];
  readonly runners = new Map<string, RunnerStore>();
  private faultsLeft: number;
  private droppedFinal = false;
  /** Experiments whose runner started over (a retry from the seed, or lost and started afresh). */
  private readonly resets = new Set<string>();
  /** The most epochs each experiment has shown. */
  private readonly mostEpochs = new Map<string, number>();
  /** Runners cut off from the network until a time: every message to or from them is lost. */
  private readonly partitioned = new Map<string, number>();
  /** A violation seen inside a handler (where the coordinator's own catch would hide a throw). */
  private violation: string | undefined;

  constructor(
    seed: number,
    private readonly options: SimOptions,
  ) {
    this.random = rng(seed);
    this.faultsLeft = options.faultSteps;
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
    };
    this.sweeps.push(sweep);
    sweep.core = this.incarnate(s);
    const config = parseSweepConfig(
      {
        weightScales: Array.from({ length: this.options.experiments }, (_, i) => 1 / (i + 1)),
        epochs: this.options.epochs,
        trainSize: 100,
      },
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
        },
        delete: async () => {
          storage.write();
          storage.data.alarm = null;
        },
      },
      flag: {
        get: async (key) => storage.data.flags[key],
        put: async (key, value) => {
          storage.write();
          storage.data.flags[key] = value;
        },
        delete: async (key) => {
          storage.write();
          delete storage.data.flags[key];
        },
      },
      deleteAll: async () => storage.deleteAll(),
      runner: (_sweepId, index) => this.runnerPort(s, index),
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
      tuning: (name) => TUNING[name],
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

  // ---- the runners, on ExperimentRunner's protocol

  private runnerPort(s: number, index: number): RunnerPort {
    const key = `${s}:${index}`;
    return {
      start: (spec) =>
        this.call(
          s,
          `start ${key}`,
          () => {
            if (this.runners.has(key)) return false;
            this.runners.set(key, { spec, state: "running", epochsDone: 0, alarm: this.now, failures: 0, stuck: 0, doomed: 0 });
            // A runner started anew starts its lists over.
            this.resets.add(key);
            return true;
          },
          key,
        ),
      kick: () => this.call(s, `kick ${key}`, (): KickResult => this.kick(key), key),
      retry: (fromScratch) => this.call(s, `retry ${key}`, () => this.runnerRetry(key, fromScratch), key),
      cancel: () =>
        this.call(
          s,
          `cancel ${key}`,
          () => {
            this.runners.delete(key);
          },
          key,
        ),
    };
  }

  private kick(key: string): KickResult {
    const r = this.runners.get(key);
    if (!r) return "lost";
    if (r.alarm !== null) return "busy";
    r.alarm = this.now;
    return r.state === "running" ? "restarted" : "reporting";
  }

  private runnerRetry(key: string, fromScratch: boolean): boolean {
    const r = this.runners.get(key);
    if (!r) return false;
    if (fromScratch) Object.assign(r, { state: "running", epochsDone: 0, final: undefined, failures: 0 });
    else if (r.state === "failed") Object.assign(r, { state: "running", final: undefined, failures: 0 });
    else if (r.state === "running") return true;
    r.alarm = this.now;
    return true;
  }

  private runnerAlarm(key: string): void {
    const r = this.runners.get(key);
    if (!r) return;
    r.alarm = null;
    if (r.state !== "running") {
      if (r.final) this.sendReport(key, r.final);
      return;
    }
    const [s, index] = key.split(":").map(Number);
    if (r.stuck > 0) {
      // The isolate dies mid-slice: nothing done, nothing said, the alarm given up after resets.
      r.stuck--;
      return;
    }
    if (r.doomed > 0 || this.chance(0.05)) {
      if (r.doomed > 0) r.doomed--;
      // A slice that throws: reported, tried again; three in a row and the runner gives up.
      r.failures++;
      if (r.failures >= 3) {
        r.state = "failed";
        r.final = { status: "failed", error: `${r.failures} failed attempts` };
        this.sendReport(key, r.final);
      } else {
        r.alarm = this.now + 5;
        this.sendReport(key, { status: "retrying", error: `attempt ${r.failures} failed` });
      }
      return;
    }
    r.failures = 0;
    r.epochsDone++;
    const done = r.epochsDone >= this.options.epochs;
    const report: RunnerReport = {
      status: done ? "completed" : "running",
      epochsDone: r.epochsDone,
      lists: standInLists(s, index, r.epochsDone),
      runner: "sim",
    };
    if (done) {
      r.state = "completed";
      r.final = report;
    } else r.alarm = this.now + 5;
    this.sendReport(key, report);
  }

  private sendReport(key: string, report: RunnerReport): void {
    const [s, index] = key.split(":").map(Number);
    const r = this.runners.get(key);
    const final = report.status === "completed" || report.status === "failed";
    // The final report is sent again (backoff) until answered; a bug put back forgets it once.
    if (final && r) {
      if (this.options.bugs?.finalReportDroppedOnce && !this.droppedFinal) {
        this.droppedFinal = true;
        r.final = undefined;
      } else r.alarm = this.now + 40;
    }
    this.send(
      `report ${key} ${report.status}${"epochsDone" in report ? ` ${report.epochsDone}` : ""}`,
      () => {
        const sweep = this.sweeps[s];
        const answered = (answer: ReportAnswer | undefined) =>
          this.send(
            `answer ${key} ${answer}`,
            () => {
              const runner = this.runners.get(key);
              if (answer === undefined || !runner) return;
              if (answer === "stop" || (final && report.status === "completed")) this.runners.delete(key);
              else if (final && runner.final === report) runner.alarm = null;
            },
            { runner: key },
          );
        if (sweep.purged) return answered("stop");
        void this.guard(s, () => sweep.core.report(index, report)).then((done) => answered(done?.value));
      },
      { runner: key },
    );
  }

  // ---- users

  private async userRetry(s: number): Promise<void> {
    const sweep = this.sweeps[s];
    const failed = sweep.storage.withStatus("failed");
    if (failed.length === 0) return;
    const index = this.pick(failed);
    const fromScratch = this.random() < 0.5;
    this.log(`user: retry ${s}:${index}${fromScratch ? " from the seed" : ""}`);
    this.resets.add(`${s}:${index}`);
    const bump = (map: Map<number, number>, by: number) => map.set(index, (map.get(index) ?? 0) + by);
    sweep.retries++;
    sweep.retriesInFlight++;
    bump(sweep.experimentRetries, 1);
    bump(sweep.experimentInFlight, 1);
    try {
      await this.guard(s, () => sweep.core.retry(index, fromScratch));
    } finally {
      sweep.retriesInFlight--;
      bump(sweep.experimentInFlight, -1);
    }
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
    const s = Math.floor(this.random() * this.sweeps.length);
    const sweep = this.sweeps[s];
    const keys = [...this.runners.keys()];
    const kind = this.random();
    if (kind < 0.15 && keys.length > 0) {
      const r = this.runners.get(this.pick(keys));
      // A runner's isolate dies mid-slice: the runtime runs the alarm again, later.
      if (r && r.alarm !== null) r.alarm += 1 + Math.floor(this.random() * 60);
      this.log("crash: a runner, its alarm late");
    } else if (kind < 0.22 && keys.length > 0) {
      const key = this.pick(keys);
      const r = this.runners.get(key);
      // Its alarm given up after resets in a row (the watchdog wakes it); only while its sweep lives.
      if (r && !this.sweeps[Number(key.split(":")[0])].purged) {
        r.alarm = null;
        // Sometimes it stays stuck through the watchdog's wakes, and comes back later.
        if (this.random() < 0.5) r.stuck = 2 + Math.floor(this.random() * 5);
      }
      this.log(`runner ${key}: its alarm lost${r?.stuck ? `, stuck for ${r.stuck} slices` : ""}`);
    } else if (kind < 0.3 && keys.length > 0) {
      // A runner cut off from its coordinator for a while: reports and calls lost both ways.
      const key = this.pick(keys);
      this.partitioned.set(key, this.now + 100 + Math.floor(this.random() * 300));
      this.log(`runner ${key}: cut off until ${this.partitioned.get(key)}`);
    } else if (kind < 0.34 && keys.length > 0) {
      const key = this.pick(keys);
      const r = this.runners.get(key);
      if (r) r.doomed = 3;
      this.log(`runner ${key}: its next slices throw`);
    } else if (kind < 0.4) {
      // The coordinator's next handler crashes after 0–3 more writes.
      sweep.storage.crashAfter = Math.floor(this.random() * 4);
      this.log(`sweep ${s}: a crash armed after ${sweep.storage.crashAfter} writes`);
    } else if (kind < 0.46) {
      this.crash(s, "between two events");
    } else if (kind < 0.54) {
      if (sweep.storage.data.alarm !== null) sweep.storage.data.alarm += 1 + Math.floor(this.random() * 50);
      this.log(`sweep ${s}: its alarm late`);
    } else if (kind < 0.62) {
      this.log(`sweep ${s}: alarm early or twice`);
      if (sweep.storage.exists()) await this.guard(s, () => sweep.core.alarm());
    } else if (kind < 0.65 && keys.length > 0) {
      const key = this.pick(keys);
      this.runners.delete(key);
      this.log(`runner ${key} lost its storage`);
    } else if (kind < 0.7) {
      // Sometimes a retry is under way as the cancel comes: the two race.
      if (this.random() < 0.5) void this.userRetry(s);
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
      if (sweep.alarmRunning === sweep.incarnation && sweep.alarmTime === at) return;
      choices.push(() => {
        this.log(`alarm sweep ${s}`);
        // As workerd does: the running alarm still reads as set (in the past) while it runs; once it
        // finishes, it is cleared unless set again; one that throws or whose isolate dies runs again.
        const running = at;
        const incarnation = sweep.incarnation;
        sweep.alarmRunning = incarnation;
        sweep.alarmTime = running;
        void this.guard(s, () => sweep.core.alarm()).then((ran) => {
          if (sweep.alarmRunning !== incarnation) return;
          sweep.alarmRunning = undefined;
          if (ran === undefined && sweep.storage.data.alarm === null) sweep.storage.data.alarm = this.now + 10;
          else if (sweep.storage.data.alarm === running) sweep.storage.data.alarm = null;
        });
      });
    });
    for (const [key, r] of this.runners) {
      if (r.alarm === null || r.alarm > this.now) continue;
      choices.push(() => {
        this.log(`alarm runner ${key}`);
        this.runnerAlarm(key);
      });
    }
    if (choices.length === 0) {
      const next = Math.min(
        ...this.messages.map((m) => m.at),
        ...this.sweeps.map((sw) => {
          const at = sw.storage.data.alarm;
          const running = sw.alarmRunning === sw.incarnation && sw.alarmTime === at;
          return at !== null && !running ? Math.max(at, this.now + 1) : Number.POSITIVE_INFINITY;
        }),
        ...[...this.runners.values()].map((r) => r.alarm ?? Number.POSITIVE_INFINITY),
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
        if (e.epochsDone < (this.mostEpochs.get(key) ?? 0) && !this.resets.has(key)) {
          throw new InvariantError(`experiment ${key} went back from ${this.mostEpochs.get(key)} to ${e.epochsDone} epochs`);
        }
        const most = this.mostEpochs.get(key) ?? 0;
        if (e.epochsDone < most) this.resets.delete(key); // the start over, seen
        this.mostEpochs.set(key, e.epochsDone < most ? e.epochsDone : Math.max(e.epochsDone, most));
        if (e.status === "completed") {
          const want = standInLists(s, e.index, this.options.epochs);
          if (JSON.stringify(e.lists) !== JSON.stringify(want)) {
            throw new InvariantError(`experiment ${s}:${e.index} completed with lists that are not the stand-in's`);
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

  /** The invariants that hold once the world is quiet. */
  checkEnd(): void {
    this.sweeps.forEach((sweep, s) => {
      if (sweep.purged) {
        const left = [...this.runners.keys()].filter((k) => k.startsWith(`${s}:`));
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
      const kv = sweep.kv.result;
      if (!kv || kv.status !== view.status || totalEpochsDone(kv) !== totalEpochsDone(view)) {
        throw new InvariantError(
          `sweep ${s}: KV holds ${kv ? `${kv.status} (${totalEpochsDone(kv)} epochs)` : "nothing"}, the coordinator ${view.status} (${totalEpochsDone(view)} epochs)`,
        );
      }
    });
  }
}
