import { describe, expect, it } from "vitest";
import { loadMnist } from "../../scripts/load-mnist";
import { CheckpointError, restoreExperiment, saveExperiment } from "../../src/experiment/checkpoint";
import { EXPERIMENT_DEFAULTS, type ExperimentConfig } from "../../src/experiment/config";
import { crc32 } from "../../src/experiment/crc32";
import { Experiment } from "../../src/experiment/experiment";

const data = loadMnist();
const SMALL: ExperimentConfig = {
  ...EXPERIMENT_DEFAULTS,
  weightScale: 0.05,
  seed: 11,
  epochs: 4,
  trainSize: 200,
  batchSize: 50,
  hiddenSizes: [40, 30],
};

function weights(exp: Experiment): number[] {
  return exp.trainees.flatMap((t) => t.net.params().flatMap((p) => Array.from(p.value)));
}

describe("an interrupted experiment", () => {
  it.each([
    ["sgd", 0],
    ["adam", 0.2],
    ["momentum", 0],
    ["adagrad", 0.1],
  ] as const)(
    "cut, saved and restored at several points ends with the uninterrupted lists (%s, dropout %s)",
    (optimizer, dropout) => {
      const config: ExperimentConfig = { ...SMALL, optimizer, dropout, weightDecay: 0.01, testSize: 100 };
      const whole = new Experiment(config, data);
      const expected = whole.run();
      let exp = new Experiment(config, data);
      // Piece sizes a float64 and the header straddle (13, 1001) or not (4096).
      for (const [cut, pieceBytes] of [
        [1, 4096],
        [3, 13],
        [4, 1001],
        [6, 4096],
      ]) {
        exp.advance(cut);
        exp = restoreExperiment(saveExperiment(exp, pieceBytes), data);
      }
      const got = exp.run();
      expect(got).toEqual(expected);
      expect(got.plain).toHaveLength(4);
      expect(weights(exp)).toEqual(weights(whole));
    },
  );

  it("reports how many evaluations a slice finished", () => {
    const exp = new Experiment(SMALL, data);
    expect(exp.totalIterations).toBe(13);
    expect(exp.advance(1)).toBe(1);
    expect(exp.advance(3)).toBe(0);
    expect(exp.advance(1)).toBe(1);
    expect(exp.advance(100)).toBe(2);
    expect(exp.done).toBe(true);
    expect(exp.iteration).toBe(13);
  });
});

describe("a study's checkpoint", () => {
  it.each(["optimizers", "randomSearch"] as const)(
    "of the %s study, cut and restored, ends with the uninterrupted lists",
    (study) => {
      const config: ExperimentConfig = {
        ...SMALL,
        study,
        weightScale: "he",
        trainSize: 500,
        iterations: 7,
        epochs: 3,
      };
      const expected = new Experiment(config, data).run();
      let exp = new Experiment(config, data);
      for (const cut of [2, 3]) {
        exp.advance(cut);
        exp = restoreExperiment(saveExperiment(exp, 1001), data);
      }
      expect(exp.run()).toEqual(expected);
    },
  );
});

describe("a diverged study's checkpoint", () => {
  // SGD at 1e100 takes every network of the weight-init study to NaN losses after its first step.
  const diverging: ExperimentConfig = {
    ...SMALL,
    study: "weightInit",
    learningRate: 1e100,
    trainSize: 500,
    iterations: 6,
    hiddenSizes: [20],
  };

  it("keeps its NaN loss points through a restore, where JSON would have made them null", () => {
    const expected = new Experiment(diverging, data).run();
    expect(Object.values(expected.loss ?? {}).map((l) => l.map(Number.isNaN))).toEqual([
      [false, true, true, true, true, true],
      [false, true, true, true, true, true],
      [false, true, true, true, true, true],
    ]);
    const exp = new Experiment(diverging, data);
    exp.advance(3);
    const restored = restoreExperiment(saveExperiment(exp, 64), data);
    expect(restored.lists.loss.map((l) => l.map(Number.isNaN))).toEqual([
      [false, true, true],
      [false, true, true],
      [false, true, true],
    ]);
    expect(restored.run()).toEqual(expected);
  });

  it("whose header counts lists for other networks is refused", () => {
    const exp = new Experiment(diverging, data);
    exp.advance(2);
    const [whole] = saveExperiment(exp, 1 << 20);
    const text = new TextDecoder().decode(whole);
    const at = text.indexOf('"loss":[2,2,2]');
    expect(at).toBeGreaterThan(0);
    // The same number of bytes, one network fewer; the checksum made to match again.
    whole.set(new TextEncoder().encode('"loss":[2, 2] '), at);
    new DataView(whole.buffer).setUint32(4, crc32(whole.subarray(8)), true);
    expect(() => restoreExperiment([whole], data)).toThrow("checkpoint lists do not fit the networks of its config");
  });
});

describe("checkpoint pieces", () => {
  it("of the default network each stay within the piece size asked for", () => {
    const exp = new Experiment({ ...EXPERIMENT_DEFAULTS, weightScale: 0.01, seed: 0, optimizer: "adam" }, data);
    const pieces = saveExperiment(exp, 1 << 20);
    const total = pieces.reduce((s, p) => s + p.length, 0);
    expect(total).toBeGreaterThan(2 * 2 * 1e6); // weights and Adam moments of two networks
    for (const p of pieces) expect(p.length).toBeLessThanOrEqual(1 << 20);
  });

  it("that are damaged are rejected with a CheckpointError", () => {
    const pieces = saveExperiment(new Experiment(SMALL, data), 1 << 16);
    expect(() => restoreExperiment(pieces.slice(0, -1), data)).toThrow(CheckpointError);
    const foreign = new Uint8Array(pieces[0]);
    foreign[0] = 0x58;
    expect(() => restoreExperiment([foreign, ...pieces.slice(1)], data)).toThrow("checkpoint does not start with BNX");
    // A piece the store lost (read back empty), first, in the middle or last, or one longer than the first.
    const missing = "checkpoint pieces are missing or of sizes they were never cut at";
    const empty = new Uint8Array(0);
    expect(() => restoreExperiment([empty, ...pieces.slice(1)], data)).toThrow(missing);
    expect(() => restoreExperiment([pieces[0], empty, ...pieces.slice(2)], data)).toThrow(missing);
    expect(() => restoreExperiment([...pieces.slice(0, -1), empty], data)).toThrow(missing);
    expect(() => restoreExperiment([...pieces.slice(0, -1), new Uint8Array((1 << 16) + 8)], data)).toThrow(missing);
  });

  it("with one flipped bit anywhere after the preamble fail the checksum", () => {
    const pieces = saveExperiment(new Experiment(SMALL, data), 1 << 16);
    for (const at of [8, 12, 200, pieces[0].length - 1]) {
      const damaged = new Uint8Array(pieces[0]);
      damaged[at] ^= 0x10;
      expect(() => restoreExperiment([damaged, ...pieces.slice(1)], data)).toThrow("checkpoint checksum does not match");
    }
  });

  it("of another format version are refused, not guessed at", () => {
    const pieces = saveExperiment(new Experiment(SMALL, data), 1 << 16);
    const old = new Uint8Array(pieces[0]);
    old[3] = "1".charCodeAt(0);
    expect(() => restoreExperiment([old, ...pieces.slice(1)], data)).toThrow("checkpoint is format BNX1; this engine reads BNX4");
  });
});

describe("crc32", () => {
  it("gives the standard check value 0xCBF43926 for the ASCII digits 1 to 9", () => {
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
  });
});

describe("test accuracy", () => {
  it("is measured on testSize test images without changing the training lists", () => {
    const without = new Experiment(SMALL, data).run();
    const withTest = new Experiment({ ...SMALL, testSize: 300 }, data).run();
    expect(withTest.plain).toEqual(without.plain);
    expect(withTest.batchNorm).toEqual(without.batchNorm);
    expect(withTest.testPlain).toHaveLength(4);
    expect(withTest.testBatchNorm).toHaveLength(4);
    for (const v of withTest.testBatchNorm ?? []) expect(Math.round(v * 300)).toBeCloseTo(v * 300, 9);
    expect(without.testPlain).toBeUndefined();
  });
});

describe("the seed document's 201-epoch setting", () => {
  it("runs to 201 evaluations per network", () => {
    const result = new Experiment(
      { ...EXPERIMENT_DEFAULTS, weightScale: 0.01, seed: 0, epochs: 201, trainSize: 200 },
      data,
    ).run();
    expect(result.plain).toHaveLength(201);
    expect(result.batchNorm).toHaveLength(201);
    expect(result.batchNorm[200]).toBeGreaterThan(result.batchNorm[0]);
  });
});

describe("configuration errors", () => {
  it.each([
    [{ batchSize: 300 }, "batchSize must be an integer in [1, 200], got 300"],
    [{ trainSize: 70000 }, "trainSize must be an integer in [1, 60000], got 70000"],
    [{ epochs: 0 }, "epochs must be an integer ≥ 1, got 0"],
    [{ hiddenSizes: [10, 2.5] }, "hiddenSizes[1] must be an integer ≥ 1, got 2.5"],
    [{ learningRate: Number.NaN }, "learningRate must be a number"],
    [{ dropout: 1 }, "dropout must be a number in [0, 0.99], got 1"],
  ])("name the field and the rule (%o)", (change, message) => {
    expect(() => new Experiment({ ...SMALL, ...change } as ExperimentConfig, data)).toThrow(message);
  });
});
