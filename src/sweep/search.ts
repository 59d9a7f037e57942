/**
 * Random search over a sweep's fields (`search: {trials, space}`), as the book's §6.5 draws it:
 * each trial draws its values from the sweep's stream in the order the request lists them, each as
 * numpy's `uniform(a, b)` with a and b as written, raised to a power of ten for `log10Uniform`
 * (glibc's pow, as Python's `10 ** x` computes it), or a `choice` of the values listed.
 */

import type { ExperimentConfig } from "../experiment/config";
import type { OptimizerKind } from "../nn/optimizers/optimizer";
import { glibcPow10, POW10_MAX_EXPONENT } from "../numpy/glibc-pow";
import type { NumpyRandom } from "../numpy/random-state";

/** Fields a search may draw: those that leave an experiment's shape and cost as they are. */
export const SEARCH_FIELDS = ["learningRate", "weightDecay", "dropout", "optimizer", "activation"] as const;
/** One of {@link SEARCH_FIELDS}. */
export type SearchField = (typeof SEARCH_FIELDS)[number];

/** How one field is drawn: `[a, b]` as numpy's uniform(a, b) takes them (a pair; arrays, as they cross RPC). */
export type SearchRange = { log10Uniform: number[] } | { uniform: number[] } | { choice: (number | string)[] };

/** A random search: how many trials, and how each field is drawn, in draw order. */
export interface Search {
  trials: number;
  space: Partial<Record<SearchField, SearchRange>>;
}

/** Trials one search may make. */
export const MAX_TRIALS = 256;
/** The bound of `log10Uniform`'s ends: 10^±200 stays clear of glibc pow's special cases. */
export const LOG10_BOUND = POW10_MAX_EXPONENT;

/** §6.5's space: `weight_decay = 10 ** uniform(-4, -8)` then `lr = 10 ** uniform(-2, -6)`. */
export const BOOK_SEARCH_SPACE: Search["space"] = {
  weightDecay: { log10Uniform: [-4, -8] },
  learningRate: { log10Uniform: [-2, -6] },
};

/** numpy's legacy `uniform(a, b)`: a + (b − a)·random_sample(). */
function uniform(rng: NumpyRandom, a: number, b: number): number {
  return a + (b - a) * rng.randomSample();
}

/** One trial's values, drawn from `rng` in the space's order. */
export function drawTrial(rng: NumpyRandom, space: Search["space"]): Partial<Record<SearchField, number | string>> {
  const values: Partial<Record<SearchField, number | string>> = {};
  for (const [field, range] of Object.entries(space) as [SearchField, SearchRange][]) {
    if ("log10Uniform" in range) values[field] = glibcPow10(uniform(rng, range.log10Uniform[0], range.log10Uniform[1]));
    else if ("uniform" in range) values[field] = uniform(rng, range.uniform[0], range.uniform[1]);
    else values[field] = range.choice[rng.interval(range.choice.length - 1)];
  }
  return values;
}

/** The values a range can draw at its ends (a choice: every value), to be checked by the field's rule. */
export function rangeEnds(range: SearchRange): (number | string)[] {
  if ("log10Uniform" in range) return range.log10Uniform.map((e) => glibcPow10(e));
  if ("uniform" in range) return range.uniform;
  return range.choice;
}

/** The values a planned experiment of a search took, in the space's order. */
export function trialValues(search: Search, config: object): Partial<Record<SearchField, number | string>> {
  const values = config as Record<string, number | string>;
  return Object.fromEntries(Object.keys(search.space).map((f) => [f, values[f]]));
}

/** Optimizers by the state they keep (Adam two copies of the weights, Momentum and AdaGrad one, SGD none). */
const COSTLIEST_OPTIMIZERS: OptimizerKind[] = ["adam", "momentum", "adagrad", "sgd"];

/**
 * The costliest values a search can draw, for estimates made before it draws: the optimizer
 * keeping the most state, the largest dropout (masks are drawn, and kept, for any ratio above 0).
 */
export function costliestDraws(search: Search | null): Partial<Pick<ExperimentConfig, "optimizer" | "dropout">> {
  const out: Partial<Pick<ExperimentConfig, "optimizer" | "dropout">> = {};
  const optimizer = search?.space.optimizer;
  if (optimizer && "choice" in optimizer) {
    out.optimizer = COSTLIEST_OPTIMIZERS.find((o) => optimizer.choice.includes(o));
  }
  const dropout = search?.space.dropout;
  if (dropout) out.dropout = Math.max(...rangeEnds(dropout).map(Number));
  return out;
}
