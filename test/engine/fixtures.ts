/** Reads the numpy reference fixtures from ../shared/fixtures beside the repository. */

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Path of a file in ../shared/fixtures. */
export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`../../../shared/fixtures/${name}`, import.meta.url));
}

/** A fixture parsed as JSON. */
export function readFixture<T>(name: string): T {
  return JSON.parse(readFileSync(fixturePath(name), "utf8")) as T;
}

/** One experiment of a reference run (numpy). */
export interface ReferenceExperiment {
  index: number;
  scale: number;
  plain: number[];
  batchnorm: number[];
}

/** A reference run: the default configuration for one seed, all 16 scales. */
export interface ReferenceRun {
  seed: number;
  epochs: number;
  experiments: ReferenceExperiment[];
}

/** Draws of numpy's RandomState for a seed (see numpy-rng.json's protocol). */
export interface RngFixture {
  weightScales: number[];
  pixel_normalization: { p128: number; p255: number; p1: number };
  rng: Record<
    string,
    {
      randn_first8: number[];
      random_sample_first4: number[];
      choice_1000_100_first20: number[];
      experiment_protocol: {
        bn_W1_first5: number[];
        bn_W6_last5: number[];
        plain_W1_first5: number[];
        plain_W6_last5: number[];
        batch1_indices: number[];
        batch2_first10: number[];
      };
    }
  >;
}
