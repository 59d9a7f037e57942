/** Runs the default experiment for every scale of a seed and compares with numpy's lists. */

import { expect, it } from "vitest";
import { loadMnist } from "../../scripts/load-mnist";
import { BOOK_WEIGHT_SCALES, EXPERIMENT_DEFAULTS } from "../../src/experiment/config";
import { Experiment } from "../../src/experiment/experiment";
import { type ReferenceRun, readFixture } from "./fixtures";

/** Registers one test per weight scale, and one that reports the count of exactly equal points. */
export function parityTests(seed: number): void {
  const reference = readFixture<ReferenceRun>(`reference-seed${seed}.json`);
  const data = loadMnist();
  let equal = 0;
  let total = 0;
  it.each(BOOK_WEIGHT_SCALES.map((scale, index) => ({ scale, index })))(
    `seed ${seed}, scale $index ($scale): every accuracy within 0.001 of numpy`,
    ({ scale, index }) => {
      const ref = reference.experiments[index];
      expect(ref.scale).toBe(scale);
      const got = new Experiment({ ...EXPERIMENT_DEFAULTS, weightScale: scale, seed }, data).run();
      for (const [ours, theirs] of [
        [got.plain, ref.plain],
        [got.batchNorm, ref.batchnorm],
      ]) {
        expect(ours).toHaveLength(theirs.length);
        ours.forEach((v, i) => {
          expect(Math.abs(v - theirs[i]), `epoch ${i}`).toBeLessThanOrEqual(0.001 + 1e-12);
          total++;
          if (v === theirs[i]) equal++;
        });
      }
    },
  );
  it(`seed ${seed}: reports how many of the 640 points equal numpy exactly`, () => {
    console.log(`parity seed ${seed}: ${equal}/${total} points exactly equal to numpy`);
    expect(total).toBe(640);
    expect(equal).toBeGreaterThanOrEqual(636);
  });
}
