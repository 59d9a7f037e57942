/**
 * A sweep's coordinator, the one writer of its state, over ports (coordinator-ports.ts): the
 * SweepCoordinator Durable Object runs it on SQLite, alarms, RPC stubs, KV and WebSockets; the
 * simulator (test/sim/) on simulated ones. It
 * - records the sweep and its experiments; every status change is decided by the lifecycle
 *   (lifecycle.ts) and applied by one method, apply(), which stores it, tells viewers and settles
 *   the sweep together, synchronously, so reports, alarms, cancels and retries cannot interleave
 *   between a check and its write;
 * - fans the experiments out to runners from its alarm and as reports free places, at most
 *   MAX_PARALLEL_RUNNERS at a time (locally four times that for experiments of one slice each,
 *   see toStart) and as many as the Quota grants, and takes their idempotent reports;
 * - runs a watchdog on the same alarm: a quiet runner is woken (a finished one asked to report
 *   again), at most MAX_SLICE_FAILURES times before its experiment ends failed;
 * - with successive halving, decides a rung in the same write as the change that makes it ready
 *   (the lifecycle's rungDecisions): the kept trials are queued again, the others stopped;
 * - once every experiment is final, publishes to KV; the alarm goes on until every write owed to
 *   KV is done, and wakes again RETAIN_DAYS later to remove the checkpoints runners still hold.
 */

import { studyPoints } from "../experiment/study";
import { effectiveSearch, type SweepConfig, sweepExperiments } from "./config";
import {
  type CoordinatorPorts,
  KV_WRITE_INTERVAL_MS,
  ONE_SLICE_DEPTH,
  PLACED_BY_INDEX,
  type RunnerPort,
  type SweepState,
  type SweepStore,
} from "./coordinator-ports";
import { rungScore } from "./halving";
import {
  type Change,
  type ExperimentEvent,
  type ExperimentRecord,
  type ExperimentStep,
  LIFECYCLE,
  type LifecycleRules,
  type Refusal,
  type RungMember,
} from "./lifecycle";
import { LIVE_CLOSE, type LiveMessage } from "./live-message";
import type { ReportAnswer, RunnerReport, RunnerSpec } from "./runner-protocol";
import { SweepPlan } from "./sweep-plan";
import { isFinalExperiment, isFinalSweep, type SweepView, sweepLinks } from "./view";

/** An experiment's change with the rung decisions it made ready (each another experiment's change). */
type Applied = Change & { decided: { index: number; step: ExperimentStep }[] };

/** Why a request to the coordinator cannot be done. */
export type CoordinatorRefusal = { refused: "not_found" | "conflict" | "idempotency_mismatch"; message: string };

/**
 * Storage mark: the end (completedAt) after which the runners' checkpoints were removed
 * (RETAIN_DAYS). A sweep retried and ended again has a later end, so retention runs again.
 */
const CHECKPOINTS_REMOVED = "checkpointsRemoved";
const DAY_MS = 24 * 60 * 60 * 1000;

export class Coordinator {
  /** Set by purge(): nothing is published or scheduled any more, so a deleted KV key stays deleted (until a new sweep is created here). */
  private purging = false;
  /**
   * Sweeps created on this object. After a purge the same id may be used again (its Idempotency-Key
   * the same day): a fan-out or retry begun under the purged sweep does nothing once it resumes.
   */
  private created = 0;
  /** The purge under way, which a second request joins. */
  private purgeUnderWay: Promise<{ purged: string } | CoordinatorRefusal> | undefined;
  /**
   * Experiments whose runner was asked to start and has not answered, with the fan-out that asked
   * (only it forgets the entry) and the pause the start was for: not asked twice meanwhile.
   */
  private readonly starting = new Map<number, { call: number; pauseAt: number | null; shard: number }>();
  /** Fan-outs so far: each one's number tags its entries in `starting`. */
  private startCalls = 0;
  /** Runner processes whose last start from the fan-out failed: given no new experiment while another can take it. */
  private readonly failingShards = new Set<number>();
  /** Alarms this object set so far, to tell the alarm being run from one set since it began. */
  private alarmSets = 0;
  /** alarmSets when the alarm being run began, while alarm() runs: that alarm may still read as set. */
  private alarmSetsAtStart: number | null = null;
  /** Why queued experiments wait (MAX_RUNNING_EXPERIMENTS across all sweeps), shown in the view; undefined when none do. */
  private waiting: string | undefined;
  /** The runners' specs of this object's sweep and its halving groups, made once. */
  private readonly plan = new SweepPlan();

  /** `rules`: the lifecycle it applies (the simulator puts bugs back through it to show they are caught). */
  constructor(
    private readonly ports: CoordinatorPorts,
    private readonly rules: LifecycleRules = LIFECYCLE,
  ) {}

  private get table(): SweepStore {
    return this.ports.table;
  }

  /**
   * Records a new sweep and schedules its fan-out. For an existing sweep (a retried POST with the
   * same Idempotency-Key) returns it when the request is the same, and refuses a different one.
   */
  async create(id: string, config: SweepConfig, requestHash: string, createdAt: string): Promise<SweepView | CoordinatorRefusal> {
    const existing = this.table.sweep();
    if (existing) {
      if (existing.requestHash !== requestHash) {
        return {
          refused: "idempotency_mismatch",
          message: "this Idempotency-Key was used with a different request; use a new key for a new sweep",
        };
      }
      return this.table.view() as SweepView;
    }
    // This object may have purged a sweep before (its Idempotency-Key used again the same day names
    // the same id): that purge is over, its storage gone, and this sweep is to be run.
    this.purging = false;
    this.created++;
    const now = this.ports.now();
    // A search's trial values are drawn by the plan, and kept with its experiments.
    const experiments = effectiveSearch(config) ? this.plan.experiments(config) : sweepExperiments(config);
    this.ports.transaction(() => this.table.insert(id, config, requestHash, createdAt, experiments, now));
    await this.setAlarm(now);
    return this.publish();
  }

  /** The sweep's status, creation and end times, or null when this coordinator holds none (nothing is written). */
  state(): SweepState | null {
    return this.table.state();
  }

  /** The sweep with its experiments, or null when this coordinator holds none (nothing is written). */
  view(): SweepView | null {
    const view = this.table.view();
    if (view && this.waiting && !isFinalSweep(view.status)) view.waiting = this.waiting;
    return view;
  }

  /** The Quota's call when places free up: the alarm starts what waited. */
  async wake(): Promise<void> {
    if (this.table.sweep()) await this.armAlarm(this.ports.now());
  }

  /** The end as viewers get it: status, counts and links; the view itself is fetched once by each. */
  finalMessage(): LiveMessage {
    const state = this.table.state();
    const id = this.table.sweep()?.id ?? "";
    return { type: "final", status: state?.status ?? "cancelled", counts: this.table.counts(), links: sweepLinks(id) };
  }

  /** Tells viewers where the sweep stands: its status and one experiment's change (never the whole view), or the end. */
  private announce(index?: number): void {
    if (this.ports.viewers.count() === 0) return;
    const state = this.table.state();
    if (!state) return;
    if (isFinalSweep(state.status)) {
      this.ports.viewers.broadcast(this.finalMessage());
      return;
    }
    const experiment = index === undefined ? undefined : this.table.experimentView(index);
    this.ports.viewers.broadcast({ type: "progress", status: state.status, ...(experiment ? { experiment } : {}) });
  }

  /**
   * Takes a runner's report; `stop` tells it to delete its storage: the sweep is gone or cancelled,
   * or the experiment already ended here while this runner went on.
   */
  async report(index: number, report: RunnerReport): Promise<ReportAnswer> {
    const step = await this.applyAndPerform(index, { type: "report", report });
    if ("refused" in step) return "stop";
    // Once retention ran, no runner of the final sweep keeps a checkpoint: a failed or paused run
    // reported now (woken by a retry that never took, its coordinator gone mid-way) deletes its own too.
    if (step.answer === "ok" && report.status !== "completed" && (await this.retentionRan())) return "stop";
    return step.answer;
  }

  /** Whether the sweep is final and retention removed its runners' checkpoints since it ended. */
  private async retentionRan(): Promise<boolean> {
    const state = this.table.state();
    if (!state?.completedAt || !isFinalSweep(state.status)) return false;
    return (await this.ports.mark.get(CHECKPOINTS_REMOVED)) === state.completedAt;
  }

  /**
   * The one write path of an experiment's change: the lifecycle decides, and the experiment's
   * record, the sweep's (running once one starts; final once all are final, or running again on a
   * retry) are stored in one transaction, and viewers told, before anything is awaited.
   */
  private apply(index: number, event: ExperimentEvent): Applied | Refusal {
    const sweep = this.table.sweepRecord();
    const record = this.table.experimentRecord(index);
    if (!sweep || !record || this.purging) return { refused: sweep ? `no experiment ${index} in this sweep` : "no such sweep" };
    let applied: Applied | Refusal = { refused: "not applied" };
    this.ports.transaction(
      () => {
        const change = this.change(sweep, record, event);
        if ("refused" in change) {
          applied = change;
          return;
        }
        applied = { ...change, decided: [] };
        // Only a trial that pauses or ends can make a rung of successive halving ready: it is decided in the same write.
        const next = change.step.next.status;
        if (next !== record.status && (next === "paused" || isFinalExperiment(next))) this.decideRungs(index, applied);
      },
      // A sweep that runs again (a retry), ends, or changes while final (a late result kept) gets
      // its alarm in the same write: never live without one to watch it, never final without one
      // to publish it (a crash may come next).
      () =>
        this.woken(
          !("refused" in applied) &&
            (applied.ended ||
              (isFinalSweep(sweep.status) && (!isFinalSweep(applied.sweep.status) || applied.step.next !== record))),
        ),
    );
    if ("refused" in applied) return applied;
    const { step, ended, decided } = applied as Applied;
    if (step.effects.some((e) => e.type === "tell")) this.announce(index);
    for (const d of decided) this.announce(d.index);
    if (ended && !step.effects.some((e) => e.type === "tell") && decided.length === 0) this.announce();
    return applied;
  }

  /** One experiment's change decided by the lifecycle and stored (inside apply()'s transaction). */
  private change(sweep: Change["sweep"], record: ExperimentRecord, event: ExperimentEvent): Change | Refusal {
    // Every experiment's status with this change made, read only when the change ends one.
    const statusesAfter = (next: ExperimentRecord) => this.table.statuses().map((s, i) => (i === record.index ? next.status : s));
    const change = this.rules.experimentChange(sweep, record, event, this.ports.now(), statusesAfter);
    if ("refused" in change) return change;
    if (change.step.next !== record) this.table.saveExperiment(change.step.next);
    if (change.sweep !== sweep) this.table.saveSweep(change.sweep);
    return change;
  }

  /** The rung decisions experiment `index`'s group is ready for, each applied as its experiment's change into `applied`. */
  private decideRungs(index: number, applied: Applied): void {
    const config = this.table.sweep()?.config;
    const halving = config?.halving;
    if (!config || !halving) return;
    const group = new Set(this.plan.group(config, index));
    const members: RungMember[] = this.table
      .rungStates()
      .filter((m) => group.has(m.index))
      .map((m) => ({
        ...m,
        score: (points) => rungScore(this.table.experimentRecord(m.index)?.lists ?? { plain: [], batchNorm: [] }, points),
      }));
    for (const { index: i, event } of this.rules.rungDecisions(members, halving)) {
      const record = this.table.experimentRecord(i);
      if (!record) continue;
      const change = this.change(applied.sweep, record, event);
      if ("refused" in change) continue;
      applied.sweep = change.sweep;
      applied.ended ||= change.ended;
      applied.decided.push({ index: i, step: change.step });
    }
  }

  /** {@link apply}, then what the change asks: places given back, a runner started afresh, the end published. */
  private async applyAndPerform(index: number, event: ExperimentEvent): Promise<ExperimentStep | Refusal> {
    const applied = this.apply(index, event);
    if ("refused" in applied) return applied;
    const { step, ended, decided } = applied;
    const sweep = this.table.sweep();
    if (!sweep) return step;
    // Trials stopped at a rung need their runners no more; one not reached now is told `stop` at its next report.
    const stopped = decided.filter((d) => d.step.effects.some((e) => e.type === "stopRunner"));
    await Promise.allSettled(stopped.map((d) => this.runner(sweep.id, d.index).cancel()));
    if (step.effects.some((e) => e.type === "resume")) {
      const spec = this.runnerSpec(sweep.id, sweep.config, index);
      // A paused runner given a later pause goes on from its checkpoint; one that cannot be reached is woken by the watchdog later.
      if (spec)
        await this.runner(sweep.id, index)
          .start(spec)
          .catch(() => false);
    }
    if (step.effects.some((e) => e.type === "startAfresh")) {
      const spec = this.runnerSpec(sweep.id, sweep.config, index);
      const fresh = spec
        ? await this.runner(sweep.id, index)
            .start(spec)
            .catch(() => false)
        : false;
      // Only a start that took starts the lists over, and only if nothing was reported meanwhile (a
      // late answer of an older start must not wipe the lists of the run that came after it).
      if (fresh) this.apply(index, { type: "startedAfresh", since: step.next.lastReport });
    }
    if (ended) await this.afterEnd(sweep.id);
    // A final sweep's record changed (a late result kept): KV gets it too.
    else if (isFinalSweep(sweep.status) && step.effects.length > 0) await this.publish();
    if (!ended && step.effects.some((e) => e.type === "freePlace")) await this.releasePlaces(sweep.id, [index]);
    // A runner's place is free, or a rung kept trials: the next queued experiments start now, here
    // rather than from the alarm, which may be waiting on a busy runner process's answer (its starts
    // on the other processes waited with it, 0.1–0.3 s at a time). What could not start is the alarm's.
    const placed = step.effects.some((e) => e.type === "freePlace") || decided.length > 0;
    if (!ended && placed && !isFinalSweep(this.table.sweep()?.status ?? "cancelled")) {
      await this.startQueued(sweep.id, sweep.config);
      if (this.toStart(sweep.config).length > 0) await this.armAlarm(this.ports.now());
    }
    return step;
  }

  /** What a sweep's end asks: places back to the Quota, the final record to KV, retention armed. */
  private async afterEnd(sweepId: string): Promise<void> {
    await this.publish();
    await this.releasePlaces(sweepId);
    await this.armRetention();
  }

  /** Cancels the sweep and every runner; refused for a finished sweep. */
  async cancel(): Promise<SweepView | CoordinatorRefusal> {
    const sweep = this.table.sweep();
    const record = this.table.sweepRecord();
    if (!sweep || !record) return { refused: "not_found", message: "no such sweep" };
    const step = this.rules.sweepStep(record, { type: "cancel", at: new Date(this.ports.now()).toISOString() });
    if ("refused" in step) return { refused: "conflict", message: step.refused };
    // Decided here, before any await: a report arriving later is answered `stop`. The alarm in the
    // same write publishes the end even if this object crashes before it does.
    this.ports.transaction(
      () => {
        this.table.saveSweep(step.next);
        for (const index of (["queued", "running", "paused"] as const).flatMap((s) => this.table.withStatus(s))) {
          const experiment = this.table.experimentRecord(index);
          if (experiment) this.table.saveExperiment(this.rules.cancelExperiment(experiment));
        }
      },
      () => this.woken(true),
    );
    this.announce();
    // Every runner, grid combinations included; one that cannot be reached now stops at its next report.
    const experiments = sweepExperiments(sweep.config);
    await Promise.allSettled(experiments.map((e) => this.runner(sweep.id, e.index).cancel()));
    await this.afterEnd(sweep.id);
    return this.table.view() as SweepView;
  }

  /** Re-runs a failed experiment, from its checkpoint or from its seed; the sweep is live again. */
  async retry(index: number, fromScratch: boolean): Promise<SweepView | CoordinatorRefusal> {
    const sweep = this.table.sweep();
    const record = sweep && this.table.experimentRecord(index);
    if (!sweep || !record)
      return { refused: "not_found", message: sweep ? `no experiment ${index} in this sweep` : "no such sweep" };
    const refusal = (reason: string): CoordinatorRefusal => ({ refused: "conflict", message: reason });
    // A runner that finished after the watchdog gave up left its result here: the retry takes it.
    if (!fromScratch && record.status === "failed" && record.epochsDone >= studyPoints(sweep.config)) {
      const taken = await this.applyAndPerform(index, { type: "takeLateResult", epochs: studyPoints(sweep.config) });
      return "refused" in taken ? refusal(taken.refused) : this.publish();
    }
    // Checked before a place is asked for; the lifecycle checks again when the retry is applied.
    const allowed = this.rules.experimentStep(
      this.table.sweepRecord() ?? { status: "cancelled", completedAt: null },
      record,
      { type: "retry", fromSeed: fromScratch },
      this.ports.now(),
    );
    if ("refused" in allowed || this.purging)
      return refusal("refused" in allowed ? allowed.refused : "the sweep is being purged");
    const created = this.created;
    const places = await this.ports.quota.acquire(sweep.id, [index], { queue: false });
    // Purged meanwhile, perhaps created again: its places went with it (the new sweep's are its own).
    if (this.created !== created) return refusal("the sweep was purged");
    if (places.granted.length === 0) {
      return refusal(
        `${places.running} of ${places.limit} experiments run across all sweeps (MAX_RUNNING_EXPERIMENTS); retry when one ends`,
      );
    }
    let reopened: ExperimentStep | Refusal = { refused: "the runner could not be reached" };
    // Decided as the refusal comes, before any await: a sweep refused a retry while final (a
    // purge came, or its experiment is no longer failed) leaves the runner the retry woke an
    // orphan, to be stopped; one that runs (another retry took) keeps the place, which is its own.
    let orphan = false;
    let running = false;
    try {
      reopened = await this.reopen(sweep.id, sweep.config, index, fromScratch);
      orphan = "refused" in reopened && (this.purging || isFinalSweep(this.table.sweep()?.status ?? "cancelled"));
      running = this.table.experimentRecord(index)?.status === "running";
    } finally {
      // Every path that did not reopen the experiment gives its place back.
      if ("refused" in reopened && !running) await this.releasePlaces(sweep.id, [index]);
    }
    if (orphan)
      await this.runner(sweep.id, index)
        .cancel()
        .catch(() => undefined);
    return "refused" in reopened ? refusal(reopened.refused) : this.publish();
  }

  /** The retry's work once it holds a place: the runner first, then the lifecycle (refused when a cancel or purge came meanwhile). */
  private async reopen(
    sweepId: string,
    config: SweepConfig,
    index: number,
    fromScratch: boolean,
  ): Promise<ExperimentStep | Refusal> {
    // The runner first: if it cannot be reached, nothing here has changed and the retry can be asked
    // again. The retry's record and the alarm that watches it are one write (apply()).
    const runner = this.runner(sweepId, index);
    const spec = this.runnerSpec(sweepId, config, index);
    if (!spec) return { refused: `no experiment ${index} in this sweep` };
    // A runner that holds nothing (stopped, or its checkpoint removed by RETAIN_DAYS) starts from the seed.
    const fresh = !(await runner.retry(fromScratch, spec));
    if (fresh) await runner.start(spec);
    return this.applyAndPerform(index, { type: "retry", fromSeed: fromScratch || fresh });
  }

  /** Fan-out of queued experiments, the watchdog, KV writes owed; re-arms itself until all is done. */
  async alarm(): Promise<void> {
    const sweep = this.table.sweep();
    if (!sweep || this.purging) return;
    this.alarmSetsAtStart = this.alarmSets;
    try {
      if (!isFinalSweep(sweep.status)) {
        await this.startQueued(sweep.id, sweep.config);
        await this.watch(sweep.id);
      }
      // Always: a key already holding what it should is not written again (see ResultsPublisher).
      await this.publish();
      if (isFinalSweep(this.table.sweep()?.status ?? "queued")) {
        const due = await this.retain();
        if (due !== null) await this.armAlarm(due);
      }
    } finally {
      if (!isFinalSweep(this.table.sweep()?.status ?? "cancelled")) {
        await this.armAlarm(this.ports.now() + this.ports.tuning("WATCHDOG_INTERVAL_MS"));
      }
      this.alarmSetsAtStart = null;
    }
  }

  /** What experiment `index`'s runner is started with: its planned config and where it pauses next. */
  private runnerSpec(sweepId: string, config: SweepConfig, index: number): RunnerSpec | undefined {
    const e = this.plan.experiment(config, index);
    if (!e) return undefined;
    const pauseAt = this.table.experimentRecord(index)?.pauseAt ?? null;
    return pauseAt === null ? { sweepId, index, config: e.config } : { sweepId, index, config: e.config, pauseAt };
  }

  /** Sets the alarm for `at` unless one is set sooner: a sooner wake-up (a free place, a KV write due) stands. */
  private async armAlarm(at: number): Promise<void> {
    const current = await this.ports.alarm.get();
    // Inside alarm() the alarm being run may still read as set (in the past): unless this object set
    // one since the alarm began (a report freeing a place meanwhile), it does not count. Outside, a
    // past one is about to run (and re-arms what is due after it): replacing it would lose it.
    const since = this.alarmSetsAtStart;
    const stale = since !== null && since === this.alarmSets && current !== null && current <= this.ports.now();
    if (current === null || stale || current > at) await this.setAlarm(at);
  }

  /** Whether a transaction sets the alarm to now (counted as a set of this object's). */
  private woken(wake: boolean): boolean {
    if (wake) this.alarmSets++;
    return wake;
  }

  private async setAlarm(at: number): Promise<void> {
    this.alarmSets++;
    await this.ports.alarm.set(at);
  }

  /**
   * The queued experiments of `config` to start now, the costliest first (then the lowest index),
   * as many as MAX_PARALLEL_RUNNERS leaves room for, each with the runner process (shard) it
   * starts on. With several processes each gets its share of this sweep's places at most (a retry
   * or a rung's resume starts outside this count, as before): a process given a third experiment
   * while another has one would leave that one idle when it ends (the local sweep's runners were
   * busy 85% of the time that way). A new experiment goes to the process with the fewest running,
   * so the one that ends its experiments first takes the next (placed by index, a grid whose costs
   * alternate with the index left one process 8% busy); one started before goes back to its own,
   * where its checkpoint is.
   */
  private toStart(config?: SweepConfig): { index: number; shard: number }[] {
    const parallel = this.ports.tuning("MAX_PARALLEL_RUNNERS");
    const shards = this.ports.runnerShards;
    const queued = this.table.withStatus("queued");
    // A start still unanswered holds a place while its experiment waits queued for that start; one
    // whose runner reported first counts as running, one kept again at a rung meanwhile waits anew.
    const waiting = new Set(queued);
    const unanswered = [...this.starting].filter(
      ([index, { pauseAt }]) => waiting.has(index) && (this.table.experimentRecord(index)?.pauseAt ?? null) === pauseAt,
    );
    const held = new Set(unanswered.map(([index]) => index));
    // The costliest first: one started last would end the sweep alone, its process's others idle.
    // (A search's trials cost alike, as it draws no layer sizes: with halving, rungs come as before.)
    const order = config ? this.plan.costliestFirst(config).filter((index) => waiting.has(index)) : queued;
    const candidates = order.filter((index) => !held.has(index));
    const busy = this.table.runningCount() + held.size;
    if (shards <= 1) return candidates.slice(0, Math.max(0, parallel - busy)).map((index) => ({ index, shard: 0 }));
    // Experiments that each end within one slice run four times as many per process: a process
    // sends the report of one that ended, and takes the next one's start, only once it is idle, so
    // with two each pair ran in step and the process waited for both round trips after every pair
    // (runners busy 84% of the tiny sweep). Such an experiment holds memory only while its one slice
    // runs (it is built as the slice starts and dropped as it ends); longer ones keep their share.
    const oneSlice = config !== undefined && this.plan.largestWork(config) <= this.ports.tuning("SLICE_WORK");
    const depth = oneSlice ? ONE_SLICE_DEPTH : 1;
    const free = Math.max(0, depth * parallel - busy);
    if (free === 0) return [];
    const share = Math.ceil((depth * parallel) / shards);
    const load = new Array<number>(shards).fill(0);
    for (const index of this.table.withStatus("running")) load[this.shardOf(index)]++;
    for (const [, { shard }] of unanswered) load[shard]++;
    const picked: { index: number; shard: number }[] = [];
    for (const index of candidates) {
      if (picked.length === free) break;
      const shard = this.table.shardOf(index) === null ? this.newShard(load, share) : this.shardOf(index);
      if (shard < 0 || load[shard] >= share) continue;
      load[shard]++;
      picked.push({ index, shard });
    }
    return picked;
  }

  /**
   * The process a new experiment starts on: of those with room, the one with the fewest running,
   * but not one whose last start failed unless all did (experiments placed there would wait for it,
   * each failing in turn); -1 when none has room.
   */
  private newShard(load: readonly number[], share: number): number {
    const allFailing = this.failingShards.size >= load.length;
    let best = -1;
    for (let shard = 0; shard < load.length; shard++) {
      if (load[shard] >= share || (this.failingShards.has(shard) && !allFailing)) continue;
      if (best < 0 || load[shard] < load[best]) best = shard;
    }
    return best;
  }

  /**
   * Experiment `index`'s runner process: the one it was started on (modulo the processes there are
   * now); one never started, or of a sweep stored before experiments were placed, by its index.
   */
  private shardOf(index: number): number {
    const shards = this.ports.runnerShards;
    const shard = this.table.shardOf(index);
    return shards > 1 ? (shard === null || shard === PLACED_BY_INDEX ? index : shard) % shards : 0;
  }

  /** Experiment `index`'s runner, on its process. */
  private runner(sweepId: string, index: number): RunnerPort {
    return this.ports.runner(sweepId, index, this.shardOf(index));
  }

  private async startQueued(sweepId: string, config: SweepConfig): Promise<void> {
    const picked = this.toStart(config);
    if (picked.length === 0) return;
    const wanted = picked.map(({ index }) => index);
    const chosen = new Map(picked.map(({ index, shard }) => [index, shard]));
    const call = ++this.startCalls;
    const created = this.created;
    // Only this fan-out's entries: a later one may have asked again for an experiment meanwhile.
    const forget = (index: number) => {
      if (this.starting.get(index)?.call === call) this.starting.delete(index);
    };
    for (const { index, shard } of picked)
      this.starting.set(index, { call, pauseAt: this.table.experimentRecord(index)?.pauseAt ?? null, shard });
    try {
      // Places across all sweeps (MAX_RUNNING_EXPERIMENTS): what is not granted waits its turn.
      const places = await this.ports.quota.acquire(sweepId, wanted);
      // Purged meanwhile, perhaps created again: nothing of this fan-out starts, and the places
      // went with the purge (given back now, they could be the new sweep's).
      if (this.created !== created) return;
      // A cancel or purge came while they were asked for: they are given back, nothing starts.
      if (this.purging || isFinalSweep(this.table.sweep()?.status ?? "cancelled")) {
        if (places.granted.length > 0) await this.releasePlaces(sweepId, places.granted);
        return;
      }
      this.waiting =
        places.granted.length < wanted.length
          ? `${wanted.length - places.granted.length} experiment(s) wait for a place: ${places.running} of ${places.limit} run across all sweeps (MAX_RUNNING_EXPERIMENTS)${places.ahead > 0 ? `, ${places.ahead} sweep(s) ahead` : ""}`
          : undefined;
      for (const index of wanted) if (!places.granted.includes(index)) forget(index);
      // Each start on its own: one runner that cannot be reached leaves the others started, and is
      // tried again at the next alarm (it stays queued, its place held).
      await Promise.allSettled(
        places.granted.map(async (index) => {
          const spec = this.runnerSpec(sweepId, config, index);
          if (!spec) return;
          // Stored before the start is sent, so that whatever happens to this object next, its
          // runner is looked for where it was started.
          const shard = chosen.get(index) ?? 0;
          if (this.ports.runnerShards > 1 && this.table.shardOf(index) === null) this.table.setShard(index, shard);
          try {
            await this.runner(sweepId, index).start(spec);
          } catch (error) {
            forget(index);
            if (this.created !== created) return;
            this.failingShards.add(this.shardOf(index));
            // Tried again at the next alarm; a runner that cannot be started at all ends failed.
            const limit = this.ports.tuning("MAX_SLICE_FAILURES");
            const pauseAt = spec.pauseAt ?? null;
            await this.applyAndPerform(index, { type: "startFailed", error: (error as Error).message, limit, pauseAt });
            return;
          }
          forget(index);
          if (this.created !== created) return;
          this.failingShards.delete(this.shardOf(index));
          // Refused when a report came first (it is running already), a cancel, or a rung kept it meanwhile: nothing to do.
          this.apply(index, { type: "start", pauseAt: spec.pauseAt ?? null });
        }),
      );
    } finally {
      for (const index of wanted) forget(index);
    }
  }

  /**
   * Wakes runners gone quiet; one woken too often in a row (no progress between) ends failed, so no
   * sweep waits forever. A runner that cannot be reached counts as woken.
   */
  private async watch(sweepId: string): Promise<void> {
    const limit = this.ports.tuning("MAX_SLICE_FAILURES");
    const stall = this.ports.tuning("WATCHDOG_STALL_MS");
    for (const index of this.table.quiet(this.ports.now() - stall)) {
      // Re-read after every await: a report may have changed the record meanwhile (the lifecycle refuses then).
      const record = this.table.experimentRecord(index);
      if (record?.status !== "running") continue;
      if (record.restarts >= limit) {
        const error = `runner went quiet ${record.restarts} times in a row (no report for ${stall} ms each); its isolate may exceed memory or CPU`;
        await this.applyAndPerform(record.index, { type: "quietTooLong", error });
        continue;
      }
      const found = await this.runner(sweepId, record.index)
        .kick()
        .catch(() => "unreachable" as const);
      await this.applyAndPerform(record.index, { type: "woken", found });
    }
  }

  /** Gives places back to the Quota (all of this sweep's without `indices`); a failure is logged, and the sweep's end gives back all. */
  private async releasePlaces(sweepId: string, indices?: number[]): Promise<void> {
    try {
      await this.ports.quota.release(sweepId, indices);
    } catch (e) {
      this.ports.log(`sweep ${sweepId}: could not give places back: ${(e as Error).message}`);
    }
  }

  /** Wakes the alarm when the failed runners' checkpoints are due for removal (RETAIN_DAYS after the end). */
  private async armRetention(): Promise<void> {
    const completedAt = this.table.state()?.completedAt;
    if (completedAt) await this.armAlarm(Date.parse(completedAt) + this.ports.tuning("RETAIN_DAYS") * DAY_MS);
  }

  /**
   * RETAIN_DAYS after a final sweep ended, removes the checkpoints its runners may still hold (up
   * to ~24 MB each; its results stay). Returns when that is due, or null once done or for a live sweep.
   */
  async retain(now = this.ports.now()): Promise<number | null> {
    const sweep = this.table.sweep();
    const completedAt = this.table.state()?.completedAt;
    if (!sweep || !completedAt || !isFinalSweep(sweep.status)) return null;
    if ((await this.ports.mark.get(CHECKPOINTS_REMOVED)) === completedAt) return null;
    const due = Date.parse(completedAt) + this.ports.tuning("RETAIN_DAYS") * DAY_MS;
    if (now < due) return due;
    // Every runner is told: a failed one keeps its checkpoint for a retry; one stopped at a rung or
    // cancelled while paused (no alarm, so never told `stop`) keeps it if its cancel was lost; a
    // completed one that crashed while deleting its own storage keeps what was left.
    await Promise.all(sweepExperiments(sweep.config).map((e) => this.runner(sweep.id, e.index).cancel()));
    // A retry (the sweep live again) or a purge may have come during the awaits: then nothing is recorded.
    if (this.purging || this.table.state()?.completedAt !== completedAt) return null;
    await this.ports.mark.put(CHECKPOINTS_REMOVED, completedAt);
    return null;
  }

  /**
   * Removes a final sweep everywhere: every runner's storage, its KV result and index line, then
   * this object's own storage, last, so that a purge cut short can be asked again.
   */
  purge(): Promise<{ purged: string } | CoordinatorRefusal> {
    // A purge asked again while one runs is that purge: two would delete each KV key twice.
    this.purgeUnderWay ??= this.purgeOnce().finally(() => {
      this.purgeUnderWay = undefined;
    });
    return this.purgeUnderWay;
  }

  private async purgeOnce(): Promise<{ purged: string } | CoordinatorRefusal> {
    const sweep = this.table.sweep();
    if (!sweep) return { refused: "not_found", message: "no such sweep" };
    if (!isFinalSweep(sweep.status)) {
      return { refused: "conflict", message: `sweep is ${sweep.status}; only a final sweep can be purged (cancel it first)` };
    }
    // Its alarm stays until the end: a purge cut short by a crash leaves a final sweep whose alarm
    // publishes it again, and which can be purged again.
    this.purging = true;
    await Promise.all(sweepExperiments(sweep.config).map((e) => this.runner(sweep.id, e.index).cancel()));
    await this.releasePlaces(sweep.id);
    await this.ports.publisher.unpublish(this.table.view() as SweepView);
    this.ports.viewers.closeAll(LIVE_CLOSE.ended, "sweep purged");
    await this.ports.alarm.delete();
    await this.ports.deleteAll();
    return { purged: sweep.id };
  }

  /**
   * Publishes the current view; a write KV does not allow yet, or one that failed, is left to the
   * alarm (the state here is already decided, so a KV error fails no request).
   */
  private async publish(): Promise<SweepView> {
    const view = this.table.view() as SweepView;
    if (this.purging) return view;
    let due: number | null;
    try {
      due = await this.ports.publisher.publish(view);
    } catch (e) {
      this.ports.log(`sweep ${view.id}: KV write failed, retried by the alarm: ${(e as Error).message}`);
      due = this.ports.now() + KV_WRITE_INTERVAL_MS;
    }
    if (due !== null) await this.armAlarm(due);
    return view;
  }
}
