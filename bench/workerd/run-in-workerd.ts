/**
 * Times default experiments inside workerd, the runtime the sweep deploys to, through Miniflare
 * (the version wrangler pins). Timed from outside each request: inside a Worker the clock stands still while
 * code runs.
 */

import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import type { MnistData } from "../../src/data/dataset";
import type { ExperimentResult } from "../../src/experiment/experiment";

/** Median seconds of `runs` runs per scale index, and the lists of the last run. */
export interface WorkerdTiming {
  index: number;
  seconds: number;
  result: ExperimentResult;
}

export async function timeInWorkerd(data: MnistData, indices: number[], runs: number, seed: number): Promise<WorkerdTiming[]> {
  const bundle = await build({
    entryPoints: [fileURLToPath(new URL("entry.ts", import.meta.url))],
    bundle: true,
    format: "esm",
    write: false,
    logLevel: "error",
    // As wrangler.toml's [define]: the build for workerd.
    define: { __PLAIN_ARRAY_SCRATCH__: "true" },
  });
  const mf = new Miniflare({ modules: true, script: bundle.outputFiles[0].text, compatibilityDate: "2026-04-01" });
  try {
    await mf.ready;
    const count = 1000;
    const body = new Uint8Array(count * 785);
    body.set(data.train.images.subarray(0, count * 784));
    body.set(data.train.labels.subarray(0, count), count * 784);
    const run = async (index: number) => {
      const start = performance.now();
      const response = await mf.dispatchFetch(`http://bench/?scale=${index}&seed=${seed}&count=${count}`, {
        method: "POST",
        body,
      });
      const result = (await response.json()) as ExperimentResult;
      return { seconds: (performance.now() - start) / 1000, result };
    };
    await run(indices[0]);
    const timings: WorkerdTiming[] = [];
    for (const index of indices) {
      const times: number[] = [];
      let result: ExperimentResult | undefined;
      for (let r = 0; r < runs; r++) {
        const one = await run(index);
        times.push(one.seconds);
        result = one.result;
      }
      times.sort((a, b) => a - b);
      timings.push({ index, seconds: times[Math.floor(runs / 2)], result: result as ExperimentResult });
    }
    return timings;
  } finally {
    await mf.dispose();
  }
}
