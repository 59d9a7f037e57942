import { describe, expect, it } from "vitest";
import { loadMnist } from "../../scripts/load-mnist";
import { EXPERIMENT_DEFAULTS, type ExperimentConfig } from "../../src/experiment/config";
import { memoryEstimate, peakIterationWork, totalWork } from "../../src/experiment/cost";
import { Experiment } from "../../src/experiment/experiment";
import { reachableBufferBytes } from "../shared/reachable-bytes";

const data = loadMnist();
const BOOK: ExperimentConfig = { ...EXPERIMENT_DEFAULTS, weightScale: 0.01, seed: 1 };
/** The dataset's bytes, counted by the estimate apart from the engine's. */
const DATASET_BUFFERS = new Set([data.train.images, data.train.labels, data.test.images, data.test.labels].map((a) => a.buffer));

/** Bytes of array buffers an experiment holds after building and two iterations. */
function measuredBytes(config: ExperimentConfig): number {
  const experiment = new Experiment(config, data);
  experiment.advance(2);
  return reachableBufferBytes(experiment, DATASET_BUFFERS);
}

describe("the memory estimate", () => {
  it.each([
    ["the book's experiment", BOOK],
    ["Adam on two layers of 300", { ...BOOK, optimizer: "adam", hiddenSizes: [300, 300] } as ExperimentConfig],
    ["batches of 1000 with dropout", { ...BOOK, batchSize: 1000, trainSize: 5000, dropout: 0.2 }],
    ["BN nets of 600 with momentum", { ...BOOK, optimizer: "momentum", hiddenSizes: [600, 600, 600] } as ExperimentConfig],
  ])("of %s is at least what the engine allocates, and at most 1.5 times it", (_, config) => {
    const measured = measuredBytes(config);
    const e = memoryEstimate(config);
    const engine = e.parameters + e.optimizer + e.activations + e.input;
    expect(engine).toBeGreaterThanOrEqual(measured);
    expect(engine).toBeLessThanOrEqual(1.5 * measured);
    expect(e.total).toBe(engine + e.dataset + e.datasetLoad + e.checkpoint + e.baseline);
  });
});

describe("the work estimate", () => {
  it("counts the book's experiment as 2001 steps and 20 evaluations of 119,400 multiply-adds a row", () => {
    const row = 784 * 100 + 4 * 100 * 100 + 100 * 10;
    expect(totalWork({ ...BOOK, epochs: 201 })).toBe(2001 * 2 * 3 * 100 * row + 201 * 2 * 1000 * row);
    expect(peakIterationWork(BOOK)).toBe(2 * 3 * 100 * row + 2 * 1000 * row);
  });
});
