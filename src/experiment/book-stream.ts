/**
 * The book's scripts draw everything from one global numpy stream: an experiment of
 * `batch_norm_test.py` draws its two networks' weights (Batch Norm network first, layer by layer)
 * and then one `choice` per iteration (and, with dropout, each network's masks in its forward
 * pass); evaluation and losses draw nothing. The other studies' scripts draw the same way, with
 * their own networks (src/experiment/study.ts). Stepping a stream past those draws without training tells
 * where the next experiment of a script seeded once at its top starts.
 */

import type { NumpyRandom } from "../numpy/random-state";
import type { ExperimentConfig } from "./config";
import { rowForwardWork } from "./cost";
import { scriptIterations, studyNetworkCount, trainingCount } from "./study";

/** 32-bit words drawn per Gaussian (two per accepted pair of uniforms, π/4 of pairs accepted), rounded up. */
const WORDS_PER_GAUSSIAN = 2.6;
/** Words per `choice` draw at worst (masked rejection keeps at least half). */
const WORDS_PER_CHOICE = 2;
/**
 * A skipped uniform's two words cost only their share of the generator's twists (624 words at a
 * time, ~2 µs): counted as a fraction of a drawn word.
 */
const SKIPPED_WORD_SHARE = 0.15;

/** The draws of one experiment of `config`, in the engine's order. */
interface ExperimentDraws {
  /** Every network's weights, in the study's order. */
  gaussians: number;
  iterations: number;
  /** Per iteration: the batch's `choice`, then every network's dropout masks (uniforms). */
  choices: number;
  maskUniforms: number;
}

function experimentDraws(config: ExperimentConfig): ExperimentDraws {
  const hidden = config.hiddenSizes.reduce((sum, h) => sum + h, 0);
  const networks = studyNetworkCount(config.study);
  return {
    gaussians: networks * rowForwardWork(config.hiddenSizes),
    iterations: scriptIterations(config),
    choices: config.batchSize,
    maskUniforms: config.dropout > 0 ? networks * config.batchSize * hidden : 0,
  };
}

/**
 * 32-bit words {@link skipExperimentDraws} draws for `config` (skipped dropout masks counted at
 * their cost), estimated high: what planning the book's seeding costs (~10 ns a word in Node on
 * the machines measured).
 */
export function experimentDrawWords(config: ExperimentConfig): number {
  const { gaussians, iterations, choices, maskUniforms } = experimentDraws(config);
  return gaussians * WORDS_PER_GAUSSIAN + iterations * (choices * WORDS_PER_CHOICE + 2 * maskUniforms * SKIPPED_WORD_SHARE);
}

/** Moves `rng` past every draw of one experiment of `config`, as the engine makes them. */
export function skipExperimentDraws(rng: NumpyRandom, config: ExperimentConfig): void {
  const { gaussians, iterations, choices, maskUniforms } = experimentDraws(config);
  rng.skipGaussians(gaussians);
  const batch = new Int32Array(choices);
  const images = trainingCount(config);
  for (let i = 0; i < iterations; i++) {
    rng.fillChoice(images, batch);
    rng.skipUniforms(maskUniforms);
  }
}
