/**
 * ExperimentRunner: one Durable Object per (sweep, weight scale, repeat).
 * - trains both networks in alarm slices sized by work, not by the clock;
 * - checkpoints the whole experiment to its storage after every slice (pieces under 2 MB), so an
 *   evicted or crashed object resumes with exactly the lists of an uninterrupted run;
 * - reports every slice's progress to its sweep's coordinator, and stops (deleting its storage)
 *   when the coordinator answers that the sweep is cancelled;
 * - after MAX_SLICE_FAILURES failed slices in a row, reports the experiment failed with the error.
 */

import { DurableObject } from "cloudflare:workers";
import { restoreExperiment, saveExperiment } from "../src/checkpoint";
import type { MnistData } from "../src/dataset";
import { Experiment } from "../src/experiment";
import type { ExperimentConfig } from "../src/experiment-config";
import { sliceIterations } from "../src/experiment-cost";
import type { AccuracyLists } from "../src/sweep-view";
import { loadDataset } from "./dataset-loader";
import { type Env, tuning } from "./env";

/** What a runner is asked to do. */
export interface RunnerSpec {
  sweepId: string;
  index: number;
  config: ExperimentConfig;
}

/** What a runner tells its coordinator after a slice: progress, a failed slice to retry, or failure. */
export type RunnerReport =
  | { status: "running" | "completed"; epochsDone: number; lists: AccuracyLists }
  | { status: "retrying" | "failed"; error: string };

type RunnerState = "running" | "completed" | "failed";

const CHECKPOINT_PIECES = "checkpoint:pieces";

/** The storage key of the checkpoint's i-th piece. */
function pieceKey(i: number): string {
  return `checkpoint:${i}`;
}

export class ExperimentRunner extends DurableObject<Env> {
  private experiment: Experiment | undefined;
  private data: { key: string; data: MnistData } | undefined;

  /** Starts the experiment; a second call with the experiment already started does nothing. */
  async start(spec: RunnerSpec): Promise<void> {
    if (await this.ctx.storage.get<RunnerSpec>("spec")) return;
    await this.ctx.storage.put({ spec, state: "running" satisfies RunnerState, failures: 0 });
    await this.ctx.storage.setAlarm(Date.now());
  }

  /** Wakes a runner that went quiet: schedules its next slice. Returns whether it was asleep. */
  async kick(): Promise<boolean> {
    const state = await this.ctx.storage.get<RunnerState>("state");
    if (state !== "running" || (await this.ctx.storage.getAlarm()) !== null) return false;
    await this.ctx.storage.setAlarm(Date.now());
    return true;
  }

  /** Runs a failed experiment again from its last checkpoint. */
  async retry(): Promise<void> {
    if ((await this.ctx.storage.get<RunnerState>("state")) !== "failed") return;
    await this.ctx.storage.put({ state: "running" satisfies RunnerState, failures: 0 });
    await this.ctx.storage.setAlarm(Date.now());
  }

  /** Stops the experiment and deletes everything it stored. */
  async cancel(): Promise<void> {
    this.experiment = undefined;
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }

  override async alarm(): Promise<void> {
    const spec = await this.ctx.storage.get<RunnerSpec>("spec");
    if (!spec || (await this.ctx.storage.get<RunnerState>("state")) !== "running") return;
    let report: RunnerReport;
    try {
      const experiment = await this.load(spec);
      experiment.advance(sliceIterations(spec.config, tuning(this.env, "SLICE_WORK")));
      await this.save(experiment);
      const { plain, batchNorm, testPlain, testBatchNorm } = experiment.result();
      const lists = { plain, batchNorm, testPlain, testBatchNorm };
      report = { status: experiment.done ? "completed" : "running", epochsDone: experiment.epochsDone, lists };
      if (experiment.done) {
        await this.ctx.storage.put("state", "completed" satisfies RunnerState);
        await this.deleteCheckpoint();
      } else {
        await this.ctx.storage.setAlarm(Date.now());
      }
    } catch (e) {
      // What is in memory may be ahead of the checkpoint: the next slice starts from storage.
      this.experiment = undefined;
      report = await this.failedSlice(e);
    }
    const keepGoing = await this.coordinator(spec).report(spec.index, report);
    if (!keepGoing) await this.cancel();
  }

  private async failedSlice(error: unknown): Promise<RunnerReport> {
    const failures = ((await this.ctx.storage.get<number>("failures")) ?? 0) + 1;
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    if (failures >= tuning(this.env, "MAX_SLICE_FAILURES")) {
      await this.ctx.storage.put({ failures, state: "failed" satisfies RunnerState });
      return { status: "failed", error: `${message} (${failures} failed attempts)` };
    }
    await this.ctx.storage.put("failures", failures);
    await this.ctx.storage.setAlarm(Date.now() + tuning(this.env, "RETRY_BASE_MS") * 2 ** (failures - 1));
    return { status: "retrying", error: `attempt ${failures} failed: ${message}` };
  }

  private coordinator(spec: RunnerSpec) {
    return this.env.SWEEPS.get(this.env.SWEEPS.idFromName(spec.sweepId));
  }

  /** The experiment in memory, else from its checkpoint, else a fresh one. */
  private async load(spec: RunnerSpec): Promise<Experiment> {
    if (this.experiment) return this.experiment;
    const data = await this.dataset(spec.config);
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

  private async save(experiment: Experiment): Promise<void> {
    const pieces = saveExperiment(experiment);
    const entries: Record<string, unknown> = { [CHECKPOINT_PIECES]: pieces.length, failures: 0 };
    pieces.forEach((p, i) => {
      entries[pieceKey(i)] = p;
    });
    await this.ctx.storage.put(entries);
  }

  private async deleteCheckpoint(): Promise<void> {
    const count = (await this.ctx.storage.get<number>(CHECKPOINT_PIECES)) ?? 0;
    await this.ctx.storage.delete([CHECKPOINT_PIECES, ...Array.from({ length: count }, (_, i) => pieceKey(i))]);
    this.experiment = undefined;
  }

  private async dataset(config: ExperimentConfig): Promise<MnistData> {
    const key = `${config.trainSize}/${config.testSize}`;
    if (this.data?.key !== key) {
      this.data = { key, data: await loadDataset(this.env.ASSETS, config.trainSize, config.testSize) };
    }
    return this.data.data;
  }
}
