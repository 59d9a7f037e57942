/** What building the networks costs: their random weights go through numpy's Gaussians and glibcLog. */

import type { MnistData } from "../src/data/dataset";
import { EXPERIMENT_DEFAULTS } from "../src/experiment/config";
import { Experiment } from "../src/experiment/experiment";
import { glibcLog } from "../src/numpy/glibc-log";
import { NumpyRandom } from "../src/numpy/random-state";

export interface NetworkBuildFigure {
  /** Median time of `new Experiment` with the default config: both networks, their 238,800 Gaussian weights. */
  buildMs: number;
  /** glibcLog's time per call on the r² = x1² + x2² inputs numpy's legacy_gauss takes the log of. */
  logNsPerCall: number;
}

export function networkBuildFigure(data: MnistData): NetworkBuildFigure {
  const times: number[] = [];
  for (let i = 0; i < 26; i++) {
    const start = performance.now();
    new Experiment({ ...EXPERIMENT_DEFAULTS, weightScale: 0.05, seed: i }, data);
    if (i >= 5) times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);

  const rng = new NumpyRandom(1);
  const inputs = new Float64Array(1 << 20);
  for (let i = 0; i < inputs.length; i++) {
    let r2: number;
    do {
      const x1 = 2 * rng.randomSample() - 1;
      const x2 = 2 * rng.randomSample() - 1;
      r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1 || r2 === 0);
    inputs[i] = r2;
  }
  let best = Number.POSITIVE_INFINITY;
  let sum = 0;
  for (let rep = 0; rep < 10; rep++) {
    const start = performance.now();
    for (let i = 0; i < inputs.length; i++) sum += glibcLog(inputs[i]);
    best = Math.min(best, performance.now() - start);
  }
  if (!(sum < 0)) throw new Error("glibcLog of inputs in (0, 1) summed to a non-negative value");
  return { buildMs: times[times.length >> 1], logNsPerCall: (best * 1e6) / inputs.length };
}
