/**
 * An experiment's runner over ports: the ExperimentRunner Durable Object runs it on its storage,
 * alarm and the engine; the simulator (test/sim/) on simulated ones with a stand-in for training.
 * - trains in alarm slices sized by work, not by the clock;
 * - checkpoints the whole experiment after every slice but the one that finishes it, so an
 *   evicted or crashed object resumes with exactly the lists of an uninterrupted run;
 * - counts a slice's attempt before doing it, so an isolate killed for memory or CPU (where no
 *   `catch` runs) is counted too, and ends failed after MAX_SLICE_FAILURES;
 * - reports every slice to its coordinator, and keeps its final report until the coordinator
 *   has taken it; stops and deletes its storage when the coordinator answers `stop`;
 * - with successive halving, pauses at its spec's `pauseAt` (its checkpoint kept, the pause
 *   reported as a final report is) until started again with a later one.
 */

import { CheckpointError } from "../experiment/checkpoint";
import type { AccuracyLists } from "../experiment/experiment";
import type { KickResult, ReportAnswer, RunnerReport, RunnerSpec } from "./runner-protocol";
import { newRunnerRecord, type RunnerRecord, RunnerRecords, type RunnerStorage } from "./runner-record";

/** What a runner trains: the engine's Experiment, or the simulator's stand-in. */
export interface Trainee {
  /** Runs at most `iterations` iterations, stopping once `until` points are in. */
  advance(iterations: number, until?: number): void;
  readonly done: boolean;
  readonly epochsDone: number;
  accuracyLists(): AccuracyLists;
}

/** The training a runner drives: a new experiment, one restored from its checkpoint (CheckpointError when damaged), a checkpoint. */
export interface TrainingPort {
  create(spec: RunnerSpec): Promise<Trainee>;
  restore(spec: RunnerSpec, pieces: Uint8Array[]): Promise<Trainee>;
  save(trainee: Trainee): Uint8Array[];
  /** Iterations of one slice. */
  sliceIterations(spec: RunnerSpec): number;
}

export interface RunnerPorts {
  storage: RunnerStorage;
  alarm: { get(): Promise<number | null>; set(at: number): Promise<void>; delete(): Promise<void> };
  /** The coordinator's report call, over RPC (it may fail). */
  report(spec: RunnerSpec, report: RunnerReport): Promise<ReportAnswer>;
  training: TrainingPort;
  now(): number;
  tuning(name: "MAX_SLICE_FAILURES" | "RETRY_BASE_MS"): number;
  /** The worker this runs in, reported with each slice. */
  workerName: string;
}

const CHECKPOINT_PIECES = "checkpoint:pieces";

/** The storage key of the checkpoint's i-th piece. */
function pieceKey(i: number): string {
  return `checkpoint:${i}`;
}

/** The storage keys of a checkpoint of `count` pieces, its count first. */
function checkpointEntries(pieces: Uint8Array[]): Record<string, unknown> {
  const entries: Record<string, unknown> = { [CHECKPOINT_PIECES]: pieces.length };
  pieces.forEach((p, i) => {
    entries[pieceKey(i)] = p;
  });
  return entries;
}

/** Whether `spec` pauses later than `before` (absent: at the end). */
function pausesLater(spec: RunnerSpec, before: RunnerSpec): boolean {
  return (spec.pauseAt ?? Number.POSITIVE_INFINITY) > (before.pauseAt ?? Number.POSITIVE_INFINITY);
}

export class Runner {
  private experiment: Trainee | undefined;
  /** Set by cancel(): an alarm that was running meanwhile must not write its checkpoint back. */
  private cancelled = false;
  /** Bumped by a retry from the seed: an alarm of the run before must not write its checkpoint back. */
  private resets = 0;
  private readonly records: RunnerRecords;

  constructor(private readonly ports: RunnerPorts) {
    this.records = new RunnerRecords(ports.storage);
  }

  /**
   * Starts the experiment (true); a second call with the experiment already started does nothing
   * (false), but for a paused one given a later pause (or none): it goes on from its checkpoint.
   */
  async start(spec: RunnerSpec): Promise<boolean> {
    const record = await this.records.get();
    if (record?.state === "paused" && pausesLater(spec, record.spec)) {
      await this.records.put({ ...record, spec, state: "running", attempts: 0, failures: 0, final: undefined, finalSends: 0 });
      await this.ports.alarm.set(this.ports.now());
      return true;
    }
    if (record) return false;
    this.cancelled = false;
    // The alarm first: a crash between the two leaves an alarm that finds nothing and ends, never a
    // spec with no alarm to run it (which nothing would ever wake, or delete, after a purge).
    await this.ports.alarm.set(this.ports.now());
    await this.records.put(newRunnerRecord(spec));
    return true;
  }

  /** The watchdog's call: wakes a sleeping runner, or has a finished one report its end again. */
  async kick(): Promise<KickResult> {
    const record = await this.records.get();
    if (record === undefined) return "lost";
    if ((await this.ports.alarm.get()) !== null) return "busy";
    await this.ports.alarm.set(this.ports.now());
    return record.state === "running" ? "restarted" : "reporting";
  }

  /**
   * Runs the experiment again, as `spec` says (the coordinator's: a trial kept at a rung may have
   * missed the start that told it to go on): from the seed when `fromScratch`, whatever it was
   * doing; else a failed one from its last checkpoint, a paused one given a later pause goes on, a
   * running one goes on, a finished one reports again. Returns false when this runner holds
   * nothing (it stopped and deleted its storage): the coordinator then starts it afresh.
   */
  async retry(fromScratch: boolean, spec: RunnerSpec): Promise<boolean> {
    const record = await this.records.get();
    if (!record) return false;
    if (fromScratch) {
      this.resets++;
      await this.deleteCheckpoint();
      await this.records.put({ ...newRunnerRecord(spec) });
    } else if (record.state === "failed" || (record.state === "paused" && pausesLater(spec, record.spec))) {
      await this.records.put({ ...record, spec, state: "running", attempts: 0, failures: 0, final: undefined, finalSends: 0 });
    } else if (record.state === "running") return true;
    await this.ports.alarm.set(this.ports.now());
    return true;
  }

  /** Stops the experiment and deletes everything it stored (a slice under way writes nothing after). */
  async cancel(): Promise<void> {
    this.experiment = undefined;
    this.cancelled = true;
    await this.ports.alarm.delete();
    await this.ports.storage.deleteAll();
  }

  async alarm(): Promise<void> {
    const record = await this.records.get();
    if (!record) return;
    const { spec } = record;
    if (record.state !== "running") return this.sendFinal(record);
    const iterations = this.ports.training.sliceIterations(spec);
    // Counted before the work: a killed isolate runs no catch, but its attempt is on record.
    const attempts = record.attempts + 1;
    const limit = this.ports.tuning("MAX_SLICE_FAILURES");
    if (attempts > limit) {
      const error = `exceeded memory or CPU: isolate reset ${attempts - 1} times in a slice of ${iterations} iterations`;
      return this.end("failed", { status: "failed", error });
    }
    const generation = this.resets;
    await this.records.update({ attempts });
    let report: RunnerReport;
    try {
      const experiment = await this.load(spec);
      experiment.advance(iterations, spec.pauseAt);
      if (this.cancelled || generation !== this.resets) return;
      // A finished run needs no checkpoint: its report holds the lists (end() drops the last one).
      if (!experiment.done) await this.save(experiment);
      const paused = !experiment.done && spec.pauseAt !== undefined && experiment.epochsDone >= spec.pauseAt;
      report = {
        status: experiment.done ? "completed" : paused ? "paused" : "running",
        epochsDone: experiment.epochsDone,
        lists: experiment.accuracyLists(),
        runner: this.ports.workerName,
      };
      if (experiment.done) return this.end("completed", report);
      if (paused) return this.end("paused", report);
      await this.ports.alarm.set(this.ports.now());
    } catch (e) {
      // What is in memory may be ahead of the checkpoint: the next slice starts from storage.
      this.experiment = undefined;
      // A retry from the seed came meanwhile: this slice's failure belongs to the run before.
      if (this.cancelled || generation !== this.resets) return;
      if (e instanceof CheckpointError)
        return this.end("failed", { status: "failed", error: `checkpoint damaged: ${e.message}` });
      const failed = await this.failedSlice(e);
      if (failed.status === "failed") return this.end("failed", failed);
      report = failed;
    }
    // A lost progress report is made good by the next one; the final report is kept until taken.
    const answer = await this.send(spec, report).catch(() => "ok" as const);
    if (answer === "stop") await this.cancel();
  }

  /** Records the experiment's end (or pause) and its final report, then delivers it. */
  private async end(state: "completed" | "failed" | "paused", report: RunnerReport): Promise<void> {
    this.experiment = undefined;
    if (!(await this.records.update({ state, final: report, finalSends: 0 }))) return;
    // A completed run needs no checkpoint; a failed one keeps it for a retry, a paused one to go on.
    if (state === "completed") await this.deleteCheckpoint();
    const ended = await this.records.get();
    if (ended) await this.sendFinal(ended);
  }

  /** Sends the final report; until the coordinator takes it, the alarm sends it again. */
  private async sendFinal(record: RunnerRecord): Promise<void> {
    const { final, spec } = record;
    if (!final) return;
    let answer: string;
    try {
      answer = await this.send(spec, final);
    } catch {
      // Sent again later, backing off up to a minute; the watchdog may also ask for it.
      const sends = record.finalSends + 1;
      await this.records.update({ finalSends: sends });
      await this.ports.alarm.set(this.ports.now() + Math.min(this.ports.tuning("RETRY_BASE_MS") * 2 ** sends, 60_000));
      return;
    }
    if (answer === "stop" || final.status === "completed") await this.cancel();
  }

  /** A report as sent: with the pause it ran towards, so that the coordinator can tell one from before a rung's decision. */
  private send(spec: RunnerSpec, report: RunnerReport): Promise<ReportAnswer> {
    return this.ports.report(spec, spec.pauseAt === undefined ? report : { ...report, pauseAt: spec.pauseAt });
  }

  private async failedSlice(error: unknown): Promise<RunnerReport> {
    const failures = ((await this.records.get())?.failures ?? 0) + 1;
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    // A thrown slice is counted here, not as an isolate reset.
    await this.records.update({ failures, attempts: 0 });
    if (failures >= this.ports.tuning("MAX_SLICE_FAILURES")) {
      return { status: "failed", error: `${message} (${failures} failed attempts)` };
    }
    await this.ports.alarm.set(this.ports.now() + this.ports.tuning("RETRY_BASE_MS") * 2 ** (failures - 1));
    return { status: "retrying", error: `attempt ${failures} failed: ${message}` };
  }

  /** The experiment in memory, else from its checkpoint, else a fresh one. */
  private async load(spec: RunnerSpec): Promise<Trainee> {
    if (this.experiment) return this.experiment;
    const count = await this.ports.storage.get<number>(CHECKPOINT_PIECES);
    if (count === undefined) {
      this.experiment = await this.ports.training.create(spec);
    } else {
      const keys = Array.from({ length: count }, (_, i) => pieceKey(i));
      const stored = await this.ports.storage.getMany<Uint8Array>(keys);
      this.experiment = await this.ports.training.restore(
        spec,
        keys.map((k) => stored.get(k) ?? new Uint8Array(0)),
      );
    }
    return this.experiment;
  }

  /** The checkpoint and the record's counters, reset by a slice that finished, in one write. */
  private async save(experiment: Trainee): Promise<void> {
    await this.records.update({ failures: 0, attempts: 0 }, checkpointEntries(this.ports.training.save(experiment)));
  }

  private async deleteCheckpoint(): Promise<void> {
    const count = (await this.ports.storage.get<number>(CHECKPOINT_PIECES)) ?? 0;
    await this.ports.storage.delete([CHECKPOINT_PIECES, ...Array.from({ length: count }, (_, i) => pieceKey(i))]);
    this.experiment = undefined;
  }
}
