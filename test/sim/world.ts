/**
 * A deterministic world for the sweep lifecycle: simulated clock, storage, messages and KV, runners
 * whose training is a cheap stand-in, and a seeded scheduler that picks, step by step, which
 * message is delivered (or lost, or duplicated), which alarm fires (late, early, twice), who
 * crashes (memory lost, storage kept) and when a user cancels, retries or purges. Every status
 * decision goes through src/sweep/lifecycle.ts, the functions the Durable Objects call; the
 * storage, RPC and KV around them are modelled here.
 */

import {
  type Change,
  cancelExperiment,
  type ExperimentEvent,
  type ExperimentRecord,
  experimentChange,
  type Refusal,
  type SweepRecord,
  sweepStep,
} from "../../src/sweep/lifecycle";
import type { KickResult, ReportAnswer, RunnerReport } from "../../src/sweep/runner-protocol";
import { isFinalExperiment, isFinalSweep } from "../../src/sweep/view";

/** The lifecycle the world's coordinators call: the real one, or one with a bug put back (to show the simulator bites). */
export interface Lifecycle {
  experimentChange: typeof experimentChange;
  sweepStep: typeof sweepStep;
  cancelExperiment: typeof cancelExperiment;
}

export const REAL_LIFECYCLE: Lifecycle = { experimentChange, sweepStep, cancelExperiment };

/** Bugs of the glue that can be put back, each fixed before in the Durable Objects. */
export interface GlueBugs {
  /** A runner whose final report fails to send forgets it (no resend). */
  finalReportDroppedOnce?: boolean;
  /** The watchdog never wakes quiet runners. */
  noWatchdog?: boolean;
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

/** The stand-in for training: experiment `index` of sweep `sweep` at epoch `e` has these accuracies. */
export function standIn(sweep: number, index: number, epoch: number): { plain: number; batchNorm: number } {
  return { plain: (sweep * 1000 + index * 37 + epoch) / 1e4, batchNorm: (sweep * 1000 + index * 41 + epoch * 3) / 1e4 };
}

export function standInLists(sweep: number, index: number, epochs: number) {
  const points = Array.from({ length: epochs }, (_, e) => standIn(sweep, index, e));
  return { plain: points.map((p) => p.plain), batchNorm: points.map((p) => p.batchNorm) };
}

/** A message in flight: delivered at `at` or later, in any order the scheduler picks. */
interface Message {
  at: number;
  run: () => void;
  describe: string;
}

/** A runner's storage (kept across crashes). */
interface RunnerStore {
  state: "running" | "completed" | "failed";
  epochsDone: number;
  final?: RunnerReport;
  alarm: number | null;
}

/** A coordinator's storage (kept across crashes). */
interface CoordinatorStore {
  sweep: SweepRecord;
  experiments: ExperimentRecord[];
  alarm: number | null;
  /** What KV holds for this sweep's result (published when final). */
  kv: { status: string; epochs: number } | null;
  purged: boolean;
}

const STALL = 50;
const WATCH_EVERY = 20;
const MAX_RESTARTS = 3;
const PARALLEL = 2;

export interface SimOptions {
  sweeps: number;
  experiments: number;
  epochs: number;
  /** Steps with faults; then the world runs on without them until it is quiet. */
  faultSteps: number;
  lifecycle?: Lifecycle;
  bugs?: GlueBugs;
  trace?: (line: string) => void;
}

/** An invariant that did not hold. */
export class InvariantError extends Error {}

export class World {
  now = 0;
  private readonly random: () => number;
  private readonly messages: Message[] = [];
  readonly coordinators: CoordinatorStore[] = [];
  readonly runners = new Map<string, RunnerStore>();
  /** Every status viewers were told, per sweep and experiment (the last one). */
  private readonly told = new Map<string, string>();
  /** Sweeps whose final status a retry may change (set by the retry, cleared when the sweep ends again). */
  private readonly reopened = new Set<number>();
  private readonly finalSeen = new Map<number, string>();
  /** Each experiment's final status as first seen; it changes only by a retry of that experiment. */
  private readonly experimentFinal = new Map<string, string>();
  /** Experiments a retry was applied to since the last check. */
  private readonly retried = new Set<string>();
  private readonly lifecycle: Lifecycle;
  private faultsLeft: number;
  private droppedFinal = false;
  private readonly sliceFailures = new Map<string, number>();

  constructor(
    seed: number,
    private readonly options: SimOptions,
  ) {
    this.random = rng(seed);
    this.lifecycle = options.lifecycle ?? REAL_LIFECYCLE;
    this.faultsLeft = options.faultSteps;
    for (let s = 0; s < options.sweeps; s++) {
      this.coordinators.push({
        sweep: { status: "queued", completedAt: null },
        experiments: Array.from({ length: options.experiments }, (_, index) => ({
          index,
          status: "queued",
          epochsDone: 0,
          lists: { plain: [], batchNorm: [] },
          error: null,
          lastReport: 0,
          restarts: 0,
          runner: null,
        })),
        alarm: 0,
        kv: null,
        purged: false,
      });
    }
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

  /** Sends a message; with faults on it may be lost, duplicated or delayed. */
  private send(describe: string, run: () => void, delay = 1): void {
    if (this.chance(0.05)) {
      this.log(`lost: ${describe}`);
      return;
    }
    const at = this.now + delay + (this.chance(0.2) ? Math.floor(this.random() * 40) : 0);
    this.messages.push({ at, run, describe });
    if (this.chance(0.05)) this.messages.push({ at: at + Math.floor(this.random() * 20), run, describe: `${describe} (again)` });
  }

  // ---- the coordinator, as the Durable Object does it, around the lifecycle

  private apply(s: number, index: number, event: ExperimentEvent): Change | Refusal {
    const c = this.coordinators[s];
    if (c.purged) return { refused: "no such sweep" };
    const record = c.experiments[index];
    const change = this.lifecycle.experimentChange(c.sweep, record, event, this.now, (next) =>
      c.experiments.map((e) => (e.index === index ? next : e).status),
    );
    if ("refused" in change) return change;
    if (event.type === "retry" || event.type === "takeLateResult") this.retried.add(`${s}:${index}`);
    c.experiments[index] = change.step.next;
    c.sweep = change.sweep;
    if (change.step.effects.some((e) => e.type === "tell")) this.tell(s, index);
    if (change.ended) this.ended(s);
    if (change.step.effects.some((e) => e.type === "startAfresh")) this.startRunner(s, index);
    if (change.step.effects.length > 0 && isFinalSweep(c.sweep.status)) this.publish(s);
    if (change.step.effects.some((e) => e.type === "freePlace")) c.alarm = Math.min(c.alarm ?? this.now, this.now);
    return change;
  }

  private tell(s: number, index?: number): void {
    const c = this.coordinators[s];
    if (index !== undefined) this.told.set(`${s}:${index}`, c.experiments[index].status);
    this.told.set(`${s}`, c.sweep.status);
  }

  private ended(s: number): void {
    const c = this.coordinators[s];
    // A final status is decided once; only a retry makes the sweep end again.
    const before = this.finalSeen.get(s);
    if (before !== undefined && !this.reopened.has(s)) {
      throw new InvariantError(`sweep ${s} was ${before} and ended again as ${c.sweep.status} without a retry`);
    }
    this.tell(s);
    this.reopened.delete(s);
    this.finalSeen.set(s, c.sweep.status);
    this.publish(s);
  }

  private publish(s: number): void {
    const c = this.coordinators[s];
    if (!isFinalSweep(c.sweep.status)) return;
    // KV fails now and then: the alarm publishes again.
    if (this.chance(0.1)) {
      c.alarm = this.now + 10;
      this.log(`KV write failed for sweep ${s}`);
      return;
    }
    c.kv = { status: c.sweep.status, epochs: c.experiments.reduce((n, e) => n + e.epochsDone, 0) };
  }

  private report(s: number, index: number, report: RunnerReport, answer: (a: ReportAnswer) => void): void {
    const c = this.coordinators[s];
    if (c.purged) {
      answer("stop");
      return;
    }
    const change = this.apply(s, index, { type: "report", report });
    answer("refused" in change ? "stop" : change.step.answer);
  }

  private coordinatorAlarm(s: number): void {
    const c = this.coordinators[s];
    c.alarm = null;
    if (c.purged) return;
    if (!isFinalSweep(c.sweep.status)) {
      const running = c.experiments.filter((e) => e.status === "running").length;
      const queued = c.experiments.filter((e) => e.status === "queued").slice(0, Math.max(0, PARALLEL - running));
      for (const e of queued) this.startRunner(s, e.index, () => this.apply(s, e.index, { type: "start" }));
      if (!this.options.bugs?.noWatchdog) {
        for (const e of c.experiments.filter((x) => x.status === "running" && x.lastReport < this.now - STALL)) {
          if (e.restarts >= MAX_RESTARTS) {
            this.apply(s, e.index, { type: "quietTooLong", error: "quiet" });
            continue;
          }
          const key = `${s}:${e.index}`;
          this.send(`kick ${key}`, () => {
            const found = this.kick(key);
            this.send(`kick answer ${key} ${found}`, () => {
              if (c.experiments[e.index].status === "running") this.apply(s, e.index, { type: "woken", found });
            });
          });
        }
      }
      c.alarm = this.now + WATCH_EVERY;
    }
    if (isFinalSweep(c.sweep.status) && (c.kv === null || c.kv.status !== c.sweep.status)) this.publish(s);
  }

  private startRunner(s: number, index: number, started?: () => void): void {
    const key = `${s}:${index}`;
    this.send(`start ${key}`, () => {
      if (!this.runners.has(key)) this.runners.set(key, { state: "running", epochsDone: 0, alarm: this.now });
      if (started) this.send(`start answer ${key}`, started);
    });
  }

  // ---- the runner, as the Durable Object does it

  private kick(key: string): KickResult {
    const r = this.runners.get(key);
    if (!r) return "lost";
    if (r.alarm !== null) return "busy";
    r.alarm = this.now;
    return r.state === "running" ? "restarted" : "reporting";
  }

  private runnerAlarm(key: string): void {
    const r = this.runners.get(key);
    if (!r) return;
    r.alarm = null;
    const [s, index] = key.split(":").map(Number);
    const epochs = this.options.epochs;
    if (r.state === "running") {
      r.epochsDone += 1;
      const done = r.epochsDone >= epochs;
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
    } else if (r.final) this.sendReport(key, r.final);
  }

  private sendReport(key: string, report: RunnerReport): void {
    const [s, index] = key.split(":").map(Number);
    const r = this.runners.get(key);
    const final = report.status === "completed" || report.status === "failed";
    this.send(`report ${key} ${report.status} ${"epochsDone" in report ? report.epochsDone : ""}`, () =>
      this.report(s, index, report, (answer) =>
        this.send(`answer ${key} ${answer}`, () => {
          const runner = this.runners.get(key);
          if (answer === "stop" || (final && report.status === "completed")) this.runners.delete(key);
          // A failed end, taken: kept for a retry, no more sends.
          else if (final && runner?.final === report) runner.alarm = null;
        }),
      ),
    );
    // The final report is sent again (backoff) until answered (a lost RPC throws in the runner);
    // a bug put back forgets it once.
    if (final && r) {
      if (this.options.bugs?.finalReportDroppedOnce && !this.droppedFinal) {
        this.droppedFinal = true;
        r.final = undefined;
        return;
      }
      r.alarm = this.now + 30;
    }
  }

  // ---- users

  private cancel(s: number): void {
    const c = this.coordinators[s];
    if (c.purged) return;
    const step = this.lifecycle.sweepStep(c.sweep, { type: "cancel", at: new Date(this.now).toISOString() });
    if ("refused" in step) return;
    c.sweep = step.next;
    c.experiments = c.experiments.map((e) => this.lifecycle.cancelExperiment(e));
    this.ended(s);
    for (const e of c.experiments) this.send(`cancel runner ${s}:${e.index}`, () => this.runners.delete(`${s}:${e.index}`));
  }

  private retry(s: number, index: number, fromSeed: boolean): void {
    const c = this.coordinators[s];
    if (c.purged) return;
    const record = c.experiments[index];
    if (!fromSeed && record.status === "failed" && record.epochsDone >= this.options.epochs) {
      // The retry is the user's act: the sweep may end again with it.
      const wasFinal = isFinalSweep(c.sweep.status);
      if (wasFinal) this.reopened.add(s);
      if ("refused" in this.apply(s, index, { type: "takeLateResult", epochs: this.options.epochs }) && wasFinal)
        this.reopened.delete(s);
      return;
    }
    const key = `${s}:${index}`;
    // The runner first (as the Durable Object does), then the lifecycle.
    this.send(`retry ${key}`, () => {
      const r = this.runners.get(key);
      if (r && fromSeed) Object.assign(r, { state: "running", epochsDone: 0, final: undefined, alarm: this.now });
      else if (r && r.state === "failed") Object.assign(r, { state: "running", final: undefined, alarm: this.now });
      else if (r && r.state === "completed") r.alarm = this.now;
      const fresh = !r;
      if (fresh) this.runners.set(key, { state: "running", epochsDone: 0, alarm: this.now });
      this.send(`retry answer ${key}`, () => {
        const before = c.sweep.status;
        const change = this.apply(s, index, { type: "retry", fromSeed: fromSeed || fresh });
        if (!("refused" in change) && isFinalSweep(before)) this.reopened.add(s);
        if (!("refused" in change)) c.alarm = Math.min(c.alarm ?? this.now + WATCH_EVERY, this.now + WATCH_EVERY);
      });
    });
  }

  private purge(s: number): void {
    const c = this.coordinators[s];
    if (c.purged || !isFinalSweep(c.sweep.status)) return;
    for (const e of c.experiments) this.runners.delete(`${s}:${e.index}`);
    c.purged = true;
    c.kv = null;
    c.alarm = null;
  }

  // ---- the scheduler

  /** A fault or a user's act, picked by the seed. */
  private fault(): void {
    const s = Math.floor(this.random() * this.coordinators.length);
    const c = this.coordinators[s];
    const keys = [...this.runners.keys()];
    const kind = this.random();
    if (kind < 0.12 && keys.length > 0) {
      // A runner's isolate dies mid-slice: memory lost, storage kept; the runtime runs the alarm again, later.
      const key = this.pick(keys);
      const r = this.runners.get(key);
      if (r && r.alarm !== null) r.alarm += 1 + Math.floor(this.random() * 60);
      this.log(`crash: runner ${key}, its alarm late`);
    } else if (kind < 0.2 && keys.length > 0) {
      // Its alarm given up after resets in a row (the watchdog wakes it). Only while its sweep is
      // live: a runner started after a purge whose alarm is then lost would keep its storage (a gap
      // the Durable Objects share: no coordinator is left to wake it).
      const key = this.pick(keys);
      const r = this.runners.get(key);
      if (r && !this.coordinators[Number(key.split(":")[0])].purged) r.alarm = null;
      this.log(`runner ${key}: its alarm lost`);
    } else if (kind < 0.42 && keys.length > 0) {
      // A slice that throws: the runner reports it and tries again; three in a row and it gives up.
      const key = this.pick(keys);
      const r = this.runners.get(key);
      if (r?.state === "running") {
        const [rs, index] = key.split(":").map(Number);
        const failures = (this.sliceFailures.get(key) ?? 0) + 1;
        this.sliceFailures.set(key, failures);
        this.log(`slice failed: runner ${key} (${failures})`);
        if (failures >= 3) {
          r.state = "failed";
          r.final = { status: "failed", error: "three slices failed" };
          this.sendReport(key, r.final);
        } else
          this.send(`report ${key} retrying`, () =>
            this.report(rs, index, { status: "retrying", error: `attempt ${failures}` }, () => {}),
          );
      }
    } else if (kind < 0.5) {
      // A coordinator's crash between two writes leaves its alarm to run again, late.
      if (c.alarm !== null) c.alarm += 1 + Math.floor(this.random() * 30);
      this.log(`crash: sweep ${s}, its alarm late`);
    } else if (kind < 0.58) {
      this.log(`alarm sweep ${s} early or twice`);
      if (!c.purged) this.coordinatorAlarm(s);
    } else if (kind < 0.62 && keys.length > 0) {
      const key = this.pick(keys);
      this.runners.delete(key);
      this.log(`runner ${key} lost its storage`);
    } else if (kind < 0.68 && !c.purged) {
      this.log(`user: cancel sweep ${s}`);
      this.cancel(s);
    } else if (kind < 0.92 && !c.purged) {
      const failed = c.experiments.filter((e) => e.status === "failed");
      if (failed.length === 0) return;
      const e = this.pick(failed);
      const fromSeed = this.random() < 0.5;
      this.log(`user: retry ${s}:${e.index}${fromSeed ? " from the seed" : ""}`);
      this.retry(s, e.index, fromSeed);
    } else if (!c.purged && isFinalSweep(c.sweep.status)) {
      this.log(`user: purge sweep ${s}`);
      this.purge(s);
    }
  }

  /** One step: a message, an alarm, a fault or a user's act, picked by the seed. Returns false when nothing is left to do. */
  step(): boolean {
    if (this.faultsLeft > 0) {
      this.faultsLeft--;
      if (this.random() < 0.15) {
        this.fault();
        this.check();
        return true;
      }
    }
    const due = (at: number | null) => at !== null && at <= this.now;
    const choices: (() => void)[] = [];
    for (const m of this.messages.filter((x) => x.at <= this.now)) {
      choices.push(() => {
        this.messages.splice(this.messages.indexOf(m), 1);
        this.log(m.describe);
        m.run();
      });
    }
    this.coordinators.forEach((c, s) => {
      if (!due(c.alarm)) return;
      choices.push(() => {
        this.log(`alarm sweep ${s}`);
        this.coordinatorAlarm(s);
      });
    });
    for (const [key, r] of this.runners) {
      if (!due(r.alarm)) continue;
      choices.push(() => {
        this.log(`alarm runner ${key}`);
        this.runnerAlarm(key);
      });
    }
    if (choices.length === 0) {
      const next = Math.min(
        ...this.messages.map((m) => m.at),
        ...this.coordinators.map((c) => c.alarm ?? Number.POSITIVE_INFINITY),
        ...[...this.runners.values()].map((r) => r.alarm ?? Number.POSITIVE_INFINITY),
      );
      if (!Number.isFinite(next)) {
        // Nothing due: while faults may still come, time goes on; after, the world is quiet.
        this.now += 1;
        return this.faultsLeft > 0;
      }
      this.now = next;
      return true;
    }
    this.pick(choices)();
    this.check();
    return true;
  }

  /** The invariants that hold after every step. */
  check(): void {
    this.coordinators.forEach((c, s) => {
      if (c.purged) return;
      // Nothing brings a cancelled sweep back: a retry is refused there.
      if (this.finalSeen.get(s) === "cancelled" && c.sweep.status !== "cancelled") {
        throw new InvariantError(`sweep ${s} was cancelled and became ${c.sweep.status}`);
      }
      for (const e of c.experiments) {
        const key = `${s}:${e.index}`;
        const was = this.experimentFinal.get(key);
        if (
          was !== undefined &&
          was !== e.status &&
          !(was === "failed" && c.sweep.status !== "cancelled" && this.retried.has(key))
        ) {
          throw new InvariantError(`experiment ${key} was ${was} and became ${e.status} without a retry`);
        }
        if (isFinalExperiment(e.status)) this.experimentFinal.set(key, e.status);
        else this.experimentFinal.delete(key);
        this.retried.delete(key);
        if (e.status === "completed") {
          const want = standInLists(s, e.index, this.options.epochs);
          if (JSON.stringify(e.lists) !== JSON.stringify({ plain: want.plain, batchNorm: want.batchNorm })) {
            throw new InvariantError(`experiment ${s}:${e.index} completed with lists that are not the stand-in's`);
          }
        }
        if (this.told.get(`${s}:${e.index}`) !== undefined || e.status !== "queued") {
          const told = this.told.get(`${s}:${e.index}`);
          if (told !== e.status && e.status !== "cancelled") {
            throw new InvariantError(`experiment ${s}:${e.index} is ${e.status}, viewers were told ${told ?? "nothing"}`);
          }
        }
      }
      const final = this.finalSeen.get(s);
      if (final !== undefined && !this.reopened.has(s) && c.sweep.status !== final) {
        throw new InvariantError(`sweep ${s} was ${final} and became ${c.sweep.status} without a retry`);
      }
    });
  }

  /** The invariants that hold once the world is quiet. */
  checkEnd(): void {
    this.coordinators.forEach((c, s) => {
      if (c.purged) {
        for (const e of c.experiments) {
          if (this.runners.has(`${s}:${e.index}`))
            throw new InvariantError(`sweep ${s} purged, yet runner ${s}:${e.index} holds storage`);
        }
        if (c.kv !== null) throw new InvariantError(`sweep ${s} purged, yet KV holds its result`);
        return;
      }
      if (!isFinalSweep(c.sweep.status)) throw new InvariantError(`sweep ${s} never ended: ${c.sweep.status}`);
      const epochs = c.experiments.reduce((n, e) => n + e.epochsDone, 0);
      if (c.kv?.status !== c.sweep.status || c.kv.epochs !== epochs) {
        throw new InvariantError(
          `sweep ${s}: KV holds ${JSON.stringify(c.kv)}, the coordinator ${c.sweep.status} (${epochs} epochs)`,
        );
      }
    });
  }
}
