/**
 * Runs default experiments inside workerd, the runtime the sweep deploys to, through Miniflare
 * (the version wrangler pins). Timed from outside each request: inside a Worker the clock stands
 * still while code runs.
 */

import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import type { MnistData } from "../../src/data/dataset";
import type { ExperimentResult } from "../../src/experiment/experiment";

/** Seconds of one experiment inside workerd, and its lists. */
export interface WorkerdTiming {
  index: number;
  seconds: number;
  result: ExperimentResult;
}

/** A workerd holding the bench's Worker: `run(index)` times one experiment at that weight scale. */
export interface WorkerdRunner {
  run(index: number): Promise<WorkerdTiming>;
  dispose(): Promise<void>;
}

export async function startWorkerdRunner(data: MnistData, seed: number): Promise<WorkerdRunner> {
  const bundle = await build({
    entryPoints: [fileURLToPath(new URL("entry.ts", import.meta.url))],
    bundle: true,
    format: "esm",
    write: false,
    logLevel: "error",
  });
  const mf = new Miniflare({ modules: true, script: bundle.outputFiles[0].text, compatibilityDate: "2026-04-01" });
  await mf.ready;
  const count = 1000;
  const body = new Uint8Array(count * 785);
  body.set(data.train.images.subarray(0, count * 784));
  body.set(data.train.labels.subarray(0, count), count * 784);
  const run = async (index: number): Promise<WorkerdTiming> => {
    const start = performance.now();
    const response = await mf.dispatchFetch(`http://bench/?scale=${index}&seed=${seed}&count=${count}`, { method: "POST", body });
    const result = (await response.json()) as ExperimentResult;
    return { index, seconds: (performance.now() - start) / 1000, result };
  };
  // The first run compiles the engine.
  await run(0);
  return { run, dispose: () => mf.dispose() };
}
