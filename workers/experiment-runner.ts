/**
 * ExperimentRunner: one Durable Object per experiment of a sweep (weight scale × grid combination
 * × repeat). Its logic is the Runner of src/sweep/runner.ts; this object gives it its storage, its
 * alarm, the engine (on the dataset this isolate shares) and its coordinator over RPC.
 */

import { DurableObject } from "cloudflare:workers";
import { Experiment, type ExperimentConfig, restoreExperiment, saveExperiment } from "../src/experiment";
import { Runner } from "../src/sweep/runner";
import type { KickResult, RunnerSpec } from "../src/sweep/runner-protocol";
import { loadDataset } from "./dataset-loader";
import { type Env, tuning } from "./env";
import { CHECKPOINT_PIECE_BYTES, sliceIterations } from "./slice-plan";
import { coordinatorOf } from "./stubs";

export class ExperimentRunner extends DurableObject<Env> {
  private readonly core: Runner;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const storage = ctx.storage;
    // Shared with every runner of this isolate (dataset-loader.ts).
    const data = ({ trainSize, testSize }: ExperimentConfig) => loadDataset(this.env.ASSETS, trainSize, testSize);
    this.core = new Runner({
      storage: {
        get: (key) => storage.get(key),
        getMany: (keys) => storage.get(keys),
        put: (entries) => storage.put(entries),
        delete: async (keys) => {
          await storage.delete(keys);
        },
        deleteAll: () => storage.deleteAll(),
      },
      alarm: { get: () => storage.getAlarm(), set: (at) => storage.setAlarm(at), delete: () => storage.deleteAlarm() },
      // Read from this.env at each call: tests replace the bindings of a live object.
      report: (spec, report) => coordinatorOf(this.env, spec.sweepId).report(spec.index, report),
      training: {
        create: async (spec) => new Experiment(spec.config, await data(spec.config)),
        restore: async (spec, pieces) => restoreExperiment(pieces, await data(spec.config)),
        save: (trainee) => saveExperiment(trainee as Experiment, CHECKPOINT_PIECE_BYTES),
        sliceIterations: (spec) => sliceIterations(spec.config, tuning(this.env, "SLICE_WORK")),
      },
      now: () => Date.now(),
      tuning: (name) => tuning(this.env, name),
      workerName: env.WORKER_NAME ?? "bn-sweep",
    });
  }

  start(spec: RunnerSpec): Promise<boolean> {
    return this.core.start(spec);
  }

  kick(): Promise<KickResult> {
    return this.core.kick();
  }

  retry(fromScratch: boolean, spec: RunnerSpec): Promise<boolean> {
    return this.core.retry(fromScratch, spec);
  }

  cancel(): Promise<void> {
    return this.core.cancel();
  }

  override alarm(): Promise<void> {
    return this.core.alarm();
  }
}
