/**
 * The lifecycle of a sweep and of its experiments, in one place: every status change as a pure
 * function from a record and an event to the next record, the answer a runner gets, and the
 * effects the change asks of the coordinator (tell viewers, give a place back, start a runner
 * afresh). Changes that are not allowed are refused with a reason. No clock, no storage, no
 * I/O: the coordinator stores what these return, and the simulator drives the same functions.
 *
 *   experiment: queued ──start──▶ running ──report completed──▶ completed      (queued ──start fails too often──▶ failed)
 *                  │                 │  ├──report failed / watchdog gives up──▶ failed ──retry──▶ running
 *                  │                 │  ├──runner lost, started afresh: lists start over
 *                  │                 │  └──report paused (at a rung)──▶ paused ──rung kept──▶ queued
 *                  │                 │                                   └──rung stopped──▶ completed (stopped)
 *                  └──── cancel ─────┴──┴──▶ cancelled                   (paused too)
 *   sweep:      queued ──first start──▶ running ──all experiments final──▶ completed | partial | failed
 *                  └──────────── cancel ──────────────▶ cancelled          (retry: back to running)
 */

import type { AccuracyLists } from "../experiment/experiment";
import { type Halving, keptCount, nextPause } from "./halving";
import type { KickResult, ReportAnswer, RunnerReport } from "./runner-protocol";
import { type ExperimentStatus, finalSweepStatus, isFinalExperiment, isFinalSweep, type SweepStatus } from "./view";

/** An experiment as its coordinator keeps it. */
export interface ExperimentRecord {
  index: number;
  status: ExperimentStatus;
  epochsDone: number;
  lists: AccuracyLists;
  error: string | null;
  /** When its runner last showed life (ms since the epoch). */
  lastReport: number;
  /** Watchdog restarts in a row without progress. */
  restarts: number;
  /** The worker whose runner last reported. */
  runner: string | null;
  /** Successive halving: the points at which its runner pauses next (null: it runs to the end). */
  pauseAt: number | null;
  /** Successive halving stopped it at a rung (it is completed, its lists a prefix). */
  stopped: boolean;
}

/** A sweep's own record. */
export interface SweepRecord {
  status: SweepStatus;
  completedAt: string | null;
}

/** What happens to an experiment. */
export type ExperimentEvent =
  /** Its runner took `start()`, sent to pause at `pauseAt` (null: at the end). */
  | { type: "start"; pauseAt: number | null }
  /** Its runner's `start()` to pause at `pauseAt` failed (unreachable): tried again later, `limit` times in a row at most. */
  | { type: "startFailed"; error: string; limit: number; pauseAt: number | null }
  /** Its runner reported. */
  | { type: "report"; report: RunnerReport }
  /** The watchdog woke its quiet runner and found this. */
  | { type: "woken"; found: KickResult | "unreachable" }
  /**
   * Its runner, found holding nothing, was started again from the seed: so do its lists here,
   * unless a report came since the watchdog found it (`since`: the record's lastReport then) and
   * the lists are the new run's already.
   */
  | { type: "startedAfresh"; since: number }
  /** The watchdog gives up on a runner quiet too often in a row. */
  | { type: "quietTooLong"; error: string }
  /** An explicit retry its runner took; `fromSeed`: the runner starts over, its lists with it. */
  | { type: "retry"; fromSeed: boolean }
  /** An explicit retry of a failed experiment whose runner finished after all: its late result is taken. */
  | { type: "takeLateResult"; epochs: number }
  /** Successive halving kept it at its rung: it goes on, to pause next at `pauseAt` (null: the end). */
  | { type: "promote"; pauseAt: number | null }
  /** Successive halving stopped it at its rung. */
  | { type: "stopAtRung" };

/** What a change asks of the coordinator besides storing the record. */
export type ExperimentEffect =
  /** Viewers are told the experiment's new record. */
  | { type: "tell" }
  /** The experiment's place is free (the Quota's, and one of the sweep's runners). */
  | { type: "freePlace" }
  /** Its runner holds nothing: it is started again, from the seed. */
  | { type: "startAfresh" }
  /** Its runner is not needed any more (stopped at a rung): it deletes its storage. */
  | { type: "stopRunner" }
  /** Its runner sits paused at an earlier rung (the start that told it to go on was lost): it is sent its start again. */
  | { type: "resume" };

/** An allowed change: the next record (the same one when nothing changes), the answer, the effects. */
export interface ExperimentStep {
  next: ExperimentRecord;
  answer: ReportAnswer;
  effects: ExperimentEffect[];
}

/** A change that is not allowed, and why. */
export interface Refusal {
  refused: string;
}

const EMPTY_LISTS: AccuracyLists = { plain: [], batchNorm: [] };

const unchanged = (record: ExperimentRecord, answer: ReportAnswer = "ok"): ExperimentStep => ({
  next: record,
  answer,
  effects: [],
});

const changed = (next: ExperimentRecord, ...effects: ExperimentEffect[]): ExperimentStep => ({
  next,
  answer: "ok",
  effects: [{ type: "tell" }, ...effects],
});

/** A runner's report to an experiment that is final here: acknowledged when it is final too, else stopped. */
function reportToFinal(record: ExperimentRecord, report: RunnerReport): ExperimentStep {
  if (record.status === "failed" && report.status === "completed" && record.epochsDone <= report.epochsDone) {
    // The watchdog gave up, yet the runner finished: its lists are kept, the status stays failed
    // (final statuses change only by an explicit retry, which then takes them).
    return changed({
      ...record,
      epochsDone: report.epochsDone,
      lists: report.lists,
      runner: report.runner ?? record.runner,
      error: `${record.error ?? "failed"}; its runner finished later: retry to take its result`,
    });
  }
  // A pause reported to a failed experiment keeps its checkpoint for a retry; to a stopped or
  // cancelled one, the runner is told to stop.
  const kept =
    report.status === "completed" || report.status === "failed" || (report.status === "paused" && record.status === "failed");
  return unchanged(record, kept ? "ok" : "stop");
}

/** A runner's report to an experiment that is queued (its start not yet recorded) or running. */
function reportToOpen(record: ExperimentRecord, report: RunnerReport, now: number): ExperimentStep {
  switch (report.status) {
    case "running":
    case "completed":
    case "paused": {
      // An older report (reordered, repeated) changes nothing but shows the runner alive; so does a
      // pause short of the rung it was started for.
      const short = report.status === "paused" && (record.pauseAt === null || report.epochsDone < record.pauseAt);
      if (report.epochsDone < record.epochsDone || short) return unchanged({ ...record, lastReport: now });
      const next: ExperimentRecord = {
        ...record,
        status: report.status,
        epochsDone: report.epochsDone,
        lists: report.lists,
        error: null,
        lastReport: now,
        // Progress ends a run of watchdog restarts: the cap counts restarts in a row.
        restarts: 0,
        runner: report.runner ?? record.runner,
      };
      // Completed, or paused until its rung is decided: its place is free.
      return report.status === "running" ? changed(next) : changed(next, { type: "freePlace" });
    }
    case "retrying":
      return changed({ ...record, status: "running", error: report.error, lastReport: now });
    case "failed":
      return changed({ ...record, status: "failed", error: report.error, lastReport: now }, { type: "freePlace" });
  }
}

/** Whether a report was sent towards an earlier rung than the one the experiment now pauses at. */
function beforeRung(record: ExperimentRecord, report: RunnerReport): boolean {
  return report.pauseAt !== undefined && (record.pauseAt === null || report.pauseAt < record.pauseAt);
}

/** The next record of an experiment after `event`, at time `now`, in a sweep whose record is `sweep`. */
export function experimentStep(
  sweep: SweepRecord,
  record: ExperimentRecord,
  event: ExperimentEvent,
  now: number,
): ExperimentStep | Refusal {
  switch (event.type) {
    case "report":
      // A cancelled sweep stops every runner that still reports.
      if (sweep.status === "cancelled") return unchanged(record, "stop");
      // Paused, it waits for its rung: its runner's reports (the pause, repeated) change nothing.
      if (record.status === "paused") return unchanged(record);
      // Sent before its rung kept it (reordered, repeated): a sign of life only; a pause while it
      // runs here means its runner never heard it was kept.
      if (!isFinalExperiment(record.status) && beforeRung(record, event.report)) {
        const alive = unchanged({ ...record, lastReport: now });
        const stranded = event.report.status === "paused" && record.status === "running";
        return stranded ? { ...alive, effects: [{ type: "resume" }] } : alive;
      }
      return isFinalExperiment(record.status) ? reportToFinal(record, event.report) : reportToOpen(record, event.report, now);
    case "start":
    case "startFailed": {
      if (record.status !== "queued") return { refused: `experiment ${record.index} is ${record.status}, not queued` };
      // The late answer of a start sent before a rung kept it: its runner was not told to go on.
      if (event.pauseAt !== record.pauseAt) return { refused: `experiment ${record.index} was started for an earlier rung` };
      if (event.type === "start") return changed({ ...record, status: "running", restarts: 0, lastReport: now });
      const restarts = record.restarts + 1;
      if (restarts < event.limit) return unchanged({ ...record, restarts, lastReport: now });
      const error = `its runner could not be started ${restarts} times in a row: ${event.error}`;
      return changed({ ...record, status: "failed", error, restarts, lastReport: now }, { type: "freePlace" });
    }
    case "woken":
      if (record.status !== "running") return { refused: `experiment ${record.index} is ${record.status}, not running` };
      // A slice is scheduled: alive, only slow.
      if (event.found === "busy") return unchanged({ ...record, lastReport: now });
      // It holds nothing: it is started again (its lists start over once that start took).
      if (event.found === "lost")
        return {
          ...unchanged({ ...record, restarts: record.restarts + 1, lastReport: now }),
          effects: [{ type: "startAfresh" }],
        };
      return unchanged({ ...record, restarts: record.restarts + 1, lastReport: now });
    case "startedAfresh":
      if (record.status !== "running") return { refused: `experiment ${record.index} is ${record.status}, not running` };
      if (record.lastReport !== event.since) return { refused: `experiment ${record.index} has reported since` };
      return changed({ ...record, epochsDone: 0, lists: EMPTY_LISTS, lastReport: now });
    case "quietTooLong":
      if (record.status !== "running") return { refused: `experiment ${record.index} is ${record.status}, not running` };
      return changed({ ...record, status: "failed", error: event.error, lastReport: now }, { type: "freePlace" });
    case "retry":
    case "takeLateResult": {
      if (sweep.status === "cancelled") return { refused: "the sweep is cancelled" };
      if (record.status !== "failed") {
        return { refused: `experiment ${record.index} is ${record.status}; only a failed experiment can be retried` };
      }
      if (event.type === "takeLateResult") {
        if (record.epochsDone < event.epochs) return { refused: `experiment ${record.index} holds no finished result` };
        return changed({ ...record, status: "completed", error: null, lastReport: now }, { type: "freePlace" });
      }
      const lists = event.fromSeed ? { epochsDone: 0, lists: EMPTY_LISTS } : {};
      return changed({ ...record, ...lists, status: "running", error: null, restarts: 0, lastReport: now });
    }
    case "promote":
    case "stopAtRung": {
      if (sweep.status === "cancelled") return { refused: "the sweep is cancelled" };
      if (record.status !== "paused") return { refused: `experiment ${record.index} is ${record.status}, not paused at a rung` };
      // Kept: queued again, the fan-out gives it a place and its runner goes on from its checkpoint.
      if (event.type === "promote")
        return changed({ ...record, status: "queued", pauseAt: event.pauseAt, restarts: 0, lastReport: now });
      return changed({ ...record, status: "completed", stopped: true, lastReport: now }, { type: "stopRunner" });
    }
  }
}

/** A trial of a halving group as the rung decision sees it; `score` reads its lists only when asked. */
export interface RungMember {
  index: number;
  status: ExperimentStatus;
  pauseAt: number | null;
  /** Its accuracy at `points` (halving.ts's rungScore). */
  score(points: number): number;
}

/** One decision of a rung: the experiment and what happens to it. */
export interface RungDecision {
  index: number;
  event: Extract<ExperimentEvent, { type: "promote" | "stopAtRung" }>;
}

/**
 * The decisions a halving group is ready for. A rung is decided once every trial that entered it
 * (paused there next: not stopped before it) has paused there or ended: of the `entered` trials, the best
 * keptCount(entered) that paused go on (ranked by score at the rung, the lower index first on a
 * tie), the other paused ones stop. A trial that pauses at a rung already decided (it was
 * retried meanwhile) stops there. Nothing is decided while a member of the rung runs or waits.
 */
export function rungDecisions(group: readonly RungMember[], halving: Halving): RungDecision[] {
  const decisions: RungDecision[] = [];
  for (const rung of halving.rungs) {
    const entered = group.filter((m) => m.pauseAt === rung);
    const paused = entered.filter((m) => m.status === "paused");
    if (paused.length === 0) continue;
    const decided = group.some((m) => m.pauseAt === null || m.pauseAt > rung);
    if (decided) {
      for (const m of paused) decisions.push({ index: m.index, event: { type: "stopAtRung" } });
      continue;
    }
    if (entered.some((m) => !isFinalExperiment(m.status) && m.status !== "paused")) continue;
    const ranked = paused.map((m) => ({ m, score: m.score(rung) })).sort((a, b) => b.score - a.score || a.m.index - b.m.index);
    // Undecided, none of the rung's trials is stopped yet: all of them entered it.
    const kept = keptCount(entered.length, halving.keep);
    ranked.forEach(({ m }, i) => {
      const event =
        i < kept ? ({ type: "promote", pauseAt: nextPause(halving, rung) } as const) : ({ type: "stopAtRung" } as const);
      decisions.push({ index: m.index, event });
    });
  }
  return decisions;
}

/** What happens to a sweep as a whole. */
export type SweepEvent =
  /** One of its experiments started or reported progress. */
  | { type: "experimentStarted" }
  /** Its experiments' statuses now: it ends once every one is final. */
  | { type: "experimentsAre"; statuses: readonly ExperimentStatus[]; at: string }
  | { type: "cancel"; at: string }
  /** A failed experiment runs again. */
  | { type: "reopen" };

/** What a sweep's change asks of the coordinator. */
export type SweepEffect =
  /** The sweep ended: viewers get the end, places go back, KV gets the final record, retention is armed. */
  { type: "ended" };

/** The next record of a sweep after `event`. */
export function sweepStep(sweep: SweepRecord, event: SweepEvent): { next: SweepRecord; effects: SweepEffect[] } | Refusal {
  switch (event.type) {
    case "experimentStarted":
      return { next: sweep.status === "queued" ? { ...sweep, status: "running" } : sweep, effects: [] };
    case "experimentsAre": {
      if (isFinalSweep(sweep.status) || event.statuses.some((s) => !isFinalExperiment(s))) return { next: sweep, effects: [] };
      const status = finalSweepStatus(event.statuses.map((s) => ({ status: s })));
      return { next: { status, completedAt: event.at }, effects: [{ type: "ended" }] };
    }
    case "cancel":
      if (isFinalSweep(sweep.status)) {
        return { refused: `sweep is already ${sweep.status}; only a queued or running sweep can be cancelled` };
      }
      return { next: { status: "cancelled", completedAt: event.at }, effects: [{ type: "ended" }] };
    case "reopen":
      if (sweep.status === "cancelled") return { refused: "the sweep is cancelled" };
      return { next: { status: "running", completedAt: null }, effects: [] };
  }
}

/** An open experiment of a sweep being cancelled: cancelled too (a final one keeps its status). */
export function cancelExperiment(record: ExperimentRecord): ExperimentRecord {
  return isFinalExperiment(record.status) ? record : { ...record, status: "cancelled" };
}

/** An experiment's change with what it does to its sweep. */
export interface Change {
  step: ExperimentStep;
  /** The sweep's next record (the same one when unchanged). */
  sweep: SweepRecord;
  /** The sweep ended with this change. */
  ended: boolean;
}

/**
 * An experiment's event and its consequence for the sweep, as the coordinator applies it: a retry
 * makes the sweep run again, a start or progress makes a queued sweep run, and the sweep ends when
 * this change leaves every experiment final. `statusesAfter` gives every experiment's status with
 * this change made (the coordinator reads them from storage inside the same transaction).
 */
export function experimentChange(
  sweep: SweepRecord,
  record: ExperimentRecord,
  event: ExperimentEvent,
  now: number,
  statusesAfter: (next: ExperimentRecord) => readonly ExperimentStatus[],
): Change | Refusal {
  const step = experimentStep(sweep, record, event, now);
  if ("refused" in step) return step;
  const events: SweepEvent[] = [];
  if (event.type === "retry" || event.type === "takeLateResult") events.push({ type: "reopen" });
  if (step.next.status === "running" || step.next.status === "paused" || step.next.status === "completed")
    events.push({ type: "experimentStarted" });
  if (isFinalExperiment(step.next.status) && step.next.status !== record.status) {
    events.push({ type: "experimentsAre", statuses: statusesAfter(step.next), at: new Date(now).toISOString() });
  }
  let next = sweep;
  let ended = false;
  for (const e of events) {
    const changed = sweepStep(next, e);
    if ("refused" in changed) continue;
    next = changed.next;
    ended ||= changed.effects.some((x) => x.type === "ended");
  }
  return { step, sweep: next, ended };
}

/** The lifecycle's rules as one value: what the coordinator applies (the simulator puts bugs back through it). */
export interface LifecycleRules {
  experimentChange: typeof experimentChange;
  experimentStep: typeof experimentStep;
  sweepStep: typeof sweepStep;
  cancelExperiment: typeof cancelExperiment;
  rungDecisions: typeof rungDecisions;
}

/** The rules as stated above. */
export const LIFECYCLE: LifecycleRules = { experimentChange, experimentStep, sweepStep, cancelExperiment, rungDecisions };
