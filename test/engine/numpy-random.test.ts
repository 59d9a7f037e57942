import { describe, expect, it } from "vitest";
import { BOOK_WEIGHT_SCALES } from "../../src/experiment/config";
import { NumpyRandom } from "../../src/numpy/random-state";
import { type RngFixture, readFixture } from "./fixtures";

const fixture = readFixture<RngFixture>("numpy-rng.json");
const seeds = Object.keys(fixture.rng);
const HIDDEN_SHAPES: [number, number][] = [
  [784, 100],
  [100, 100],
  [100, 100],
  [100, 100],
  [100, 100],
  [100, 10],
];

describe.each(seeds)("NumpyRandom seeded with %s", (seedText) => {
  const seed = Number(seedText);
  const expected = fixture.rng[seedText];

  it("draws numpy's first 8 randn values exactly", () => {
    const got = new NumpyRandom(seed).fillNormal(new Float64Array(8));
    expect(Array.from(got)).toEqual(expected.randn_first8);
  });

  it("draws numpy's first 4 random_sample values exactly", () => {
    const got = new NumpyRandom(seed).fillUniform(new Float64Array(4));
    expect(Array.from(got)).toEqual(expected.random_sample_first4);
  });

  it("draws numpy's choice(1000, 100) indices exactly", () => {
    const got = new NumpyRandom(seed).fillChoice(1000, new Int32Array(20));
    expect(Array.from(got)).toEqual(expected.choice_1000_100_first20);
  });

  it("follows the experiment protocol bit for bit: BN weights, plain weights, then batches", () => {
    const rng = new NumpyRandom(seed);
    const drawNet = () => HIDDEN_SHAPES.map(([i, o]) => rng.fillNormal(new Float64Array(i * o)));
    const bn = drawNet();
    const plain = drawNet();
    const batch1 = rng.fillChoice(1000, new Int32Array(100));
    const batch2 = rng.fillChoice(1000, new Int32Array(100));
    const p = expected.experiment_protocol;
    const pairs: [Float64Array, number[]][] = [
      [bn[0].subarray(0, 5), p.bn_W1_first5],
      [bn[5].subarray(-5), p.bn_W6_last5],
      [plain[0].subarray(0, 5), p.plain_W1_first5],
      [plain[5].subarray(-5), p.plain_W6_last5],
    ];
    // Every value ===, the pair from glibc's misrounded log (seed 1, W6) included: our log is glibc's.
    for (const [ours, theirs] of pairs) expect(Array.from(ours)).toEqual(theirs);
    expect(Array.from(batch1)).toEqual(p.batch1_indices);
    expect(Array.from(batch2.subarray(0, 10))).toEqual(p.batch2_first10);
  });
});

describe("the fixture's Gaussian pair from a misrounded glibc log (seed 1, bn W6)", () => {
  it("is drawn exactly as numpy draws it", () => {
    const rng = new NumpyRandom(1);
    const draws = HIDDEN_SHAPES.map(([i, o]) => rng.fillNormal(new Float64Array(i * o)));
    const w6 = Array.from(draws[5]);
    for (const v of [1.164312274985482, -0.8850520573709374]) expect(w6).toContain(v);
  });
});

describe("NumpyRandom's shuffle (the book's shuffle_dataset)", () => {
  // numpy 2.4: np.random.seed(0); np.random.permutation(500), then np.random.randint(0, 1 << 30).
  it("permutes 500 as numpy's permutation(500) does, and leaves the stream where numpy's is", () => {
    const rng = new NumpyRandom(0);
    const p = rng.permutation(500);
    expect([...p.subarray(0, 8)]).toEqual([90, 254, 283, 445, 461, 15, 316, 489]);
    expect([...p.subarray(496)]).toEqual([192, 117, 47, 172]);
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(rng.interval(2 ** 30 - 1)).toBe(901324136);
  });

  it("permutes 10 with seed 7 as numpy does", () => {
    expect([...new NumpyRandom(7).permutation(10)]).toEqual([8, 5, 0, 2, 1, 9, 7, 3, 6, 4]);
  });
});

describe("NumpyRandom state", () => {
  it("continues identically after save and restore, Gaussian cache included", () => {
    const a = new NumpyRandom(12345);
    a.fillNormal(new Float64Array(1001)); // odd count: a cached Gaussian is pending
    const saved = a.getState();
    expect(saved.hasGauss).toBe(true);
    const b = new NumpyRandom(7);
    b.setState(saved);
    const draw = (r: NumpyRandom) => [
      ...r.fillNormal(new Float64Array(3)),
      ...r.fillUniform(new Float64Array(700)),
      ...r.fillChoice(60000, new Int32Array(50)),
    ];
    expect(draw(b)).toEqual(draw(a));
  });

  it("rejects seeds outside uint32 with the rule", () => {
    expect(() => new NumpyRandom(-1)).toThrow(/seed must be an integer in \[0, 2\^32 - 1\]/);
    expect(() => new NumpyRandom(2 ** 32)).toThrow(/seed/);
    expect(() => new NumpyRandom(1.5)).toThrow(/seed/);
  });
});

describe("weight scales", () => {
  it("equal numpy's logspace(0, -4, 16) bit for bit", () => {
    expect([...BOOK_WEIGHT_SCALES]).toEqual(fixture.weightScales);
  });
});
