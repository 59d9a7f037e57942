/**
 * ExperimentRunner: one Durable Object per experiment of a sweep (weight scale × grid combination × repeat).
 * - trains both networks in alarm slices sized by work, not by the clock;
 * - checkpoints the whole experiment after every slice (pieces under 2 MB, checksummed), so an
 *   evicted or crashed object resumes with exactly the lists of an uninterrupted run;
 * - counts a slice's attempt before doing it, so an isolate killed for memory or CPU (where no
 *   `catch` runs) is counted too, and ends failed after MAX_SLICE_FAILURES;
 * - reports every slice to its coordinator, and keeps its final report until the coordinator
 *   has taken it; stops and deletes its storage when the coordinator answers `stop`.
 */

import { DurableObject } from "cloudflare:workers";
import { CheckpointError, Experiment, restoreExperiment, saveExperiment } from "../src/experiment";
import type { KickResult, RunnerReport, RunnerSpec } from "../src/sweep/runner-protocol";
import { loadDataset } from "./dataset-loader";
import { type Env, tuning } from "./env";
import { newRunnerRecord, type RunnerRecord, RunnerRecords } from "./runner-record";
import { CHECKPOINT_PIECE_BYTES, sliceIterations } from "./slice-plan";
import { coordinatorOf } from "./stubs";

const CHECKPOINT_PIECES = "checkpoint:pieces";

/** The storage key of the checkpoint's i-th piece. */
function pieceKey(i: number): string {
  return `checkpoint:${i}`;
}

export class ExperimentRunner extends DurableObject<Env> {
  private experiment: Experiment | undefined;
  /** Set by cancel(): an alarm that was running meanwhile must not write its checkpoint back. */
  private cancelled = false;
  /** Bumped by a retry from the seed: an alarm of the run before must not write its checkpoint back. */
  private resets = 0;
  private readonly records: RunnerRecords;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.records = new RunnerRecords(ctx.storage);
  }

  /** Starts the experiment (true); a second call with the experiment already started does nothing (false). */
  async start(spec: RunnerSpec): Promise<boolean> {
    if (await this.records.get()) return false;
    this.cancelled = false;
    await this.records.put(newRunnerRecord(spec));
    await this.ctx.storage.setAlarm(Date.now());
    return true;
  }

  /** The watchdog's call: wakes a sleeping runner, or has a finished one report its end again. */
  async kick(): Promise<KickResult> {
    const record = await this.records.get();
    if (record === undefined) return "lost";
    if ((await this.ctx.storage.getAlarm()) !== null) return "busy";
    await this.ctx.storage.setAlarm(Date.now());
    return record.state === "running" ? "restarted" : "reporting";
  }

  /**
   * Runs the experiment again: from the seed when `fromScratch`, whatever it was doing; else a
   * failed one from its last checkpoint, a running one goes on, a finished one reports again.
   * Returns false when this runner holds nothing (it stopped and deleted its storage): the
   * coordinator then starts it afresh.
   */
  async retry(fromScratch: boolean): Promise<boolean> {
    const record = await this.records.get();
    if (!record) return false;
    if (fromScratch) {
      this.resets++;
      await this.deleteCheckpoint();
      await this.records.put({ ...newRunnerRecord(record.spec) });
    } else if (record.state === "failed") {
      await this.records.put({ ...record, state: "running", attempts: 0, failures: 0, final: undefined, finalSends: 0 });
    } else if (record.state === "running") return true;
    await this.ctx.storage.setAlarm(Date.now());
    return true;
  }

  /** Stops the experiment and deletes everything it stored (a slice under way writes nothing after). */
  async cancel(): Promise<void> {
    this.experiment = undefined;
    this.cancelled = true;
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }

  override async alarm(): Promise<void> {
    const record = await this.records.get();
    if (!record) return;
    const { spec } = record;
    if (record.state !== "running") return this.sendFinal(record);
    const iterations = sliceIterations(spec.config, tuning(this.env, "SLICE_WORK"));
    // Counted before the work: a killed isolate runs no catch, but its attempt is on record.
    const attempts = record.attempts + 1;
    const limit = tuning(this.env, "MAX_SLICE_FAILURES");
    if (attempts > limit) {
      const error = `exceeded memory or CPU: isolate reset ${attempts - 1} times in a slice of ${iterations} iterations`;
      return this.end("failed", { status: "failed", error });
    }
    const generation = this.resets;
    await this.records.update({ attempts });
    let report: RunnerReport;
    try {
      const experiment = await this.load(spec);
      experiment.advance(iterations);
      if (this.cancelled || generation !== this.resets) return;
      await this.save(experiment);
      report = {
        status: experiment.done ? "completed" : "running",
        epochsDone: experiment.epochsDone,
        lists: experiment.accuracyLists(),
        runner: this.env.WORKER_NAME ?? "bn-sweep",
      };
      if (experiment.done) return this.end("completed", report);
      await this.ctx.storage.setAlarm(Date.now());
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
    const answer = await coordinatorOf(this.env, spec.sweepId)
      .report(spec.index, report)
      .catch(() => "ok" as const);
    if (answer === "stop") await this.cancel();
  }

  /** Records the experiment's end and its final report, then delivers it. */
  private async end(state: "completed" | "failed", report: RunnerReport): Promise<void> {
    this.experiment = undefined;
    if (!(await this.records.update({ state, final: report, finalSends: 0 }))) return;
    // A completed run needs no checkpoint; a failed one keeps it for a retry.
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
      answer = await coordinatorOf(this.env, spec.sweepId).report(spec.index, final);
    } catch {
      // Sent again later, backing off up to a minute; the watchdog may also ask for it.
      const sends = record.finalSends + 1;
      await this.records.update({ finalSends: sends });
      await this.ctx.storage.setAlarm(Date.now() + Math.min(tuning(this.env, "RETRY_BASE_MS") * 2 ** sends, 60_000));
      return;
    }
    if (answer === "stop" || final.status === "completed") await this.cancel();
  }

  private async failedSlice(error: unknown): Promise<RunnerReport> {
    const failures = ((await this.records.get())?.failures ?? 0) + 1;
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    // A thrown slice is counted here, not as an isolate reset.
    await this.records.update({ failures, attempts: 0 });
    if (failures >= tuning(this.env, "MAX_SLICE_FAILURES")) {
      return { status: "failed", error: `${message} (${failures} failed attempts)` };
    }
    await this.ctx.storage.setAlarm(Date.now() + tuning(this.env, "RETRY_BASE_MS") * 2 ** (failures - 1));
    return { status: "retrying", error: `attempt ${failures} failed: ${message}` };
  }

  /** The experiment in memory, else from its checkpoint, else a fresh one. */
  private async load(spec: RunnerSpec): Promise<Experiment> {
    if (this.experiment) return this.experiment;
    // Shared with every runner of this isolate (dataset-loader.ts).
    const data = await loadDataset(this.env.ASSETS, spec.config.trainSize, spec.config.testSize);
    const count = await this.ctx.storage.get<number>(CHECKPOINT_PIECES);
    if (count === undefined) {
      this.experiment = new Experiment(spec.config, data);
    } else {
      const keys = Array.from({ length: count }, (_, i) => pieceKey(i));
      const stored = await this.ctx.storage.get<Uint8Array>(keys);
      this.experiment = restoreExperiment(
        keys.map((k) => stored.get(k) ?? new Uint8Array(0)),
        data,
      );
    }
    return this.experiment;
  }

  /** The checkpoint and the record's counters, reset by a slice that finished, in one write. */
  private async save(experiment: Experiment): Promise<void> {
    const pieces = saveExperiment(experiment, CHECKPOINT_PIECE_BYTES);
    const entries: Record<string, unknown> = { [CHECKPOINT_PIECES]: pieces.length };
    pieces.forEach((p, i) => {
      entries[pieceKey(i)] = p;
    });
    await this.records.update({ failures: 0, attempts: 0 }, entries);
  }

  private async deleteCheckpoint(): Promise<void> {
    const count = (await this.ctx.storage.get<number>(CHECKPOINT_PIECES)) ?? 0;
    await this.ctx.storage.delete([CHECKPOINT_PIECES, ...Array.from({ length: count }, (_, i) => pieceKey(i))]);
    this.experiment = undefined;
  }
}
