/**
 * The book's scripts draw everything from one global numpy stream: an experiment of
 * `batch_norm_test.py` draws its two networks' weights (Batch Norm network first, layer by layer)
 * and then one `choice` per iteration (and, with dropout, each network's masks in its forward
 * pass); evaluation draws nothing. Stepping a stream past those draws without training tells
 * where the next experiment of a script seeded once at its top starts.
 */

import { NumpyRandom } from "../numpy/random-state";
import { encodeRandomState } from "../numpy/random-state-text";
import { type ExperimentConfig, itersPerEpoch } from "./config";

/** Pixels of an MNIST image: the first layer's inputs. */
const INPUT_SIZE = 784;
const CLASSES = 10;

/** 32-bit words drawn per Gaussian (two per accepted pair of uniforms, π/4 of pairs accepted), rounded up. */
const WORDS_PER_GAUSSIAN = 2.6;
/** Words per `choice` draw at worst (masked rejection keeps at least half). */
const WORDS_PER_CHOICE = 2;
/**
 * A skipped uniform's two words cost only their share of the generator's twists (624 words at a
 * time, ~2 µs): counted as a fraction of a drawn word.
 */
const SKIPPED_WORD_SHARE = 0.15;

/**
 * 32-bit words {@link skipExperimentDraws} draws for `config` (skipped dropout masks counted at
 * their cost), estimated high: what planning the book's seeding costs (~10 ns a word in Node on
 * the machines measured).
 */
export function experimentDrawWords(config: ExperimentConfig): number {
  const sizes = [INPUT_SIZE, ...config.hiddenSizes, CLASSES];
  let weights = 0;
  for (let l = 0; l < sizes.length - 1; l++) weights += sizes[l] * sizes[l + 1];
  const iterations = (config.epochs - 1) * itersPerEpoch(config) + 1;
  const hidden = config.hiddenSizes.reduce((sum, h) => sum + h, 0);
  const masks = config.dropout > 0 ? 2 * config.batchSize * hidden : 0;
  return 2 * weights * WORDS_PER_GAUSSIAN + iterations * (config.batchSize * WORDS_PER_CHOICE + 2 * masks * SKIPPED_WORD_SHARE);
}

/** Moves `rng` past every draw of one experiment of `config`, as the engine makes them. */
export function skipExperimentDraws(rng: NumpyRandom, config: ExperimentConfig): void {
  const sizes = [INPUT_SIZE, ...config.hiddenSizes, CLASSES];
  let weights = 0;
  for (let l = 0; l < sizes.length - 1; l++) weights += sizes[l] * sizes[l + 1];
  rng.skipGaussians(2 * weights);
  const iterations = (config.epochs - 1) * itersPerEpoch(config) + 1;
  const batch = new Int32Array(config.batchSize);
  const hidden = config.hiddenSizes.reduce((sum, h) => sum + h, 0);
  const masks = config.dropout > 0 ? 2 * config.batchSize * hidden : 0;
  for (let i = 0; i < iterations; i++) {
    rng.fillChoice(config.trainSize, batch);
    rng.skipUniforms(masks);
  }
}

/**
 * Where each experiment starts in a stream seeded once, `seed` at the top, running `configs` one
 * after the other: each start as text (encodeRandomState), for its runner.
 */
export function bookStarts(seed: number, configs: readonly ExperimentConfig[]): string[] {
  const rng = new NumpyRandom(seed);
  return configs.map((config) => {
    const start = encodeRandomState(rng.getState());
    skipExperimentDraws(rng, config);
    return start;
  });
}
