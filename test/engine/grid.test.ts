import { describe, expect, it } from "vitest";
import {
  gridCombinationAt,
  gridCombinationCount,
  gridCombinations,
  parseSweepConfig,
  SweepConfigError,
  type SweepRequest,
  sweepExperiments,
} from "../../src/sweep/config";
import { plotSvg } from "../../src/sweep/plot-svg";
import { resultsCsvLines } from "../../src/sweep/results-csv";
import { summarySeries, summarySvg } from "../../src/sweep/summary-svg";
import { experimentsAt, type SweepView } from "../../src/sweep/view";
import { finishedView } from "../shared/finished-view";
import { ALL_FIELDS_GRID, SIX_FIELDS_GRID } from "../shared/hostile-bodies";

const parse = (request: unknown) => parseSweepConfig(request, () => 9);

function refusal(request: unknown): { field: string; rule: string } {
  try {
    parse(request);
  } catch (e) {
    if (e instanceof SweepConfigError) return { field: e.field, rule: e.rule };
    throw e;
  }
  throw new Error("accepted");
}

describe("a grid", () => {
  it("runs every combination, the last field fastest, in the schema's order whatever the request's", () => {
    const config = parse({ grid: { optimizer: ["sgd", "adam"], learningRate: [0.01, 0.05] } });
    expect(gridCombinations(config.grid)).toEqual([
      { learningRate: 0.01, optimizer: "sgd" },
      { learningRate: 0.01, optimizer: "adam" },
      { learningRate: 0.05, optimizer: "sgd" },
      { learningRate: 0.05, optimizer: "adam" },
    ]);
  });

  it("makes weight scales × combinations × repeats experiments, each with its combination's values and its repeat's seed", () => {
    const config = parse({
      weightScales: [1, 0.01],
      repeats: 2,
      seed: 5,
      grid: { learningRate: [0.01, 0.05], hiddenSizes: [[50], [60, 60]] },
    });
    const experiments = sweepExperiments(config);
    expect(experiments).toHaveLength(2 * 4 * 2);
    const e = experiments[2 * 4 + 3 * 2 + 1];
    expect(e).toMatchObject({ index: 15, repeat: 1, combination: 3 });
    expect(e.config).toMatchObject({ weightScale: 0.01, seed: 6, learningRate: 0.05, hiddenSizes: [60, 60] });
  });

  it.each([
    [{ grid: { learningRate: [0.01, -1] } }, "grid.learningRate[1]", "must be a number above 0 up to 1000"],
    [{ grid: { optimizer: ["sgd", "rmsprop"] } }, "grid.optimizer[1]", "must be one of sgd, momentum, adagrad, adam"],
    [{ grid: { hiddenSizes: [[100], [0]] } }, "grid.hiddenSizes[1][0]", "must be an integer from 1 to 4096"],
    [{ grid: { learningRate: [] } }, "grid.learningRate", "must be an array of 1 to 16 values"],
    [{ trainSize: 200, grid: { batchSize: [100, 300] } }, "grid.batchSize[1]", "must be at most trainSize (200)"],
  ])("refuses %j naming %s", (request, field, rule) => {
    expect(refusal(request)).toEqual({ field, rule });
  });

  it("refuses a key that is not a grid field, and more than 256 experiments in all", () => {
    expect(refusal({ grid: { epochs: [1, 2] } }).field).toBe("grid");
    expect(refusal({ grid: { learningRate: [0.1, 0.2, 0.3], dropout: [0, 0.1, 0.2, 0.3, 0.4, 0.5] } })).toEqual({
      field: "grid",
      rule: "make 16 weight scales × 18 grid combinations × 1 repeats = 288 experiments; at most 256",
    });
  });
});

/** A finished grid sweep with made-up lists, 3 epochs. */
function gridView(request: SweepRequest): SweepView {
  return finishedView(parse(request), () => ({ plain: [0.1, 0.2, 0.3], batchNorm: [0.2, 0.4, 0.6] }));
}

describe("a grid sweep's reports", () => {
  const view = gridView({
    weightScales: [1, 0.01],
    epochs: 3,
    grid: { learningRate: [0.01, 0.05], hiddenSizes: [[50], [60, 60]] },
  });

  it("has one CSV column per grid field, after repeat", () => {
    const lines = [...resultsCsvLines(view)].join("").trim().split("\n");
    expect(lines[0]).toBe("experiment,weight_scale,seed,repeat,learningRate,hiddenSizes,network,split,epoch,accuracy");
    expect(lines).toHaveLength(1 + 8 * 2 * 3);
    expect(lines[1 + 3 * 2 * 3 * 2]).toBe("6,1,9,0,0.05,60-60,batchnorm,train,0,0.2");
  });

  it("draws one titled block of panels per combination, or the one asked for", () => {
    const svg = plotSvg(view);
    expect(svg.match(/<g class="block"/g)).toHaveLength(4);
    expect(svg.match(/<g class="panel"/g)).toHaveLength(8);
    expect([...svg.matchAll(/<text class="block-title"[^>]*>([^<]*)</g)].map((m) => m[1])).toEqual([
      "learningRate 0.01, hiddenSizes 50",
      "learningRate 0.01, hiddenSizes 60-60",
      "learningRate 0.05, hiddenSizes 50",
      "learningRate 0.05, hiddenSizes 60-60",
    ]);
    const one = plotSvg(view, { combination: 2 });
    expect(one.match(/<g class="panel"/g)).toHaveLength(2);
    expect(one).toContain('data-combination="2"');
  });
});

describe("the summary figure", () => {
  it("has axes, a labelled log scale, and BN and plain series per combination", () => {
    const view = gridView({ weightScales: [1, 0.1, 0.01, 0.001], epochs: 3, grid: { optimizer: ["sgd", "adam"] } });
    const svg = summarySvg(view);
    expect(svg).toContain('<g class="axes">');
    expect([...svg.matchAll(/<text class="tick x"[^>]*>([^<]*)</g)].map((m) => m[1])).toEqual(["1e-3", "1e-2", "1e-1", "1e0"]);
    expect(svg).toContain("final accuracy");
    expect(svg).toContain("initial weight scale (log)");
    const series = [...svg.matchAll(/<path class="series" data-network="(\w+)" data-combination="(\d)"/g)].map(
      (m) => `${m[1]}:${m[2]}`,
    );
    expect(series).toEqual(["batchNorm:0", "plain:0", "batchNorm:1", "plain:1"]);
    expect([...svg.matchAll(/<text class="combination"[^>]*>([^<]*)</g)].map((m) => m[1])).toEqual([
      "optimizer sgd",
      "optimizer adam",
    ]);
  });

  it("takes each experiment's last point, with a min–max band over repeats", () => {
    const view = gridView({ weightScales: [1, 0.01], epochs: 3, repeats: 2 });
    view.experiments[2].batchNorm = [0.2, 0.4, 0.8];
    const [bn] = summarySeries(view);
    expect(bn.points[0]).toEqual({ weightScale: 1, mean: 0.7, min: 0.6, max: 0.8 });
    expect(summarySvg(view).match(/<polygon class="band"/g)).toHaveLength(1);
  });
});

describe("a hostile grid", () => {
  it.each([
    [
      "all eight fields × 16 values",
      ALL_FIELDS_GRID,
      "make 1 weight scales × 4294967296 grid combinations × 1 repeats = 4294967296 experiments; at most 256",
    ],
    [
      "six fields × 16 values",
      SIX_FIELDS_GRID,
      "make 1 weight scales × 16777216 grid combinations × 1 repeats = 16777216 experiments; at most 256",
    ],
  ])("of %s is refused in under 50 ms with the heap flat: counted, never built", (_, request, rule) => {
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const start = performance.now();
    expect(refusal(request)).toEqual({ field: "grid", rule });
    const elapsed = performance.now() - start;
    const grown = process.memoryUsage().heapUsed - heapBefore;
    expect(elapsed).toBeLessThan(50);
    // Building even the six-field grid's combinations took 1.6 GB.
    expect(grown).toBeLessThan(4 * 2 ** 20);
  });

  it("counts combinations as the product of the value counts", () => {
    expect(
      gridCombinationCount(parse({ weightScales: [1], grid: { learningRate: [0.1, 0.2], dropout: [0, 0.1, 0.2] } }).grid),
    ).toBe(6);
    expect(gridCombinationCount({})).toBe(1);
  });

  it("still names the first combination whose batch is larger than its training set", () => {
    expect(refusal({ weightScales: [1], grid: { batchSize: [50, 150, 250], trainSize: [200, 120] } })).toEqual({
      field: "grid.batchSize[1]",
      rule: "must be at most trainSize (120)",
    });
  });
});

describe("one grid combination by its index", () => {
  it("is the combination gridCombinations lists at that index", () => {
    const { grid } = parse({
      weightScales: [1],
      grid: { learningRate: [0.1, 0.2], optimizer: ["sgd", "adam", "momentum"], dropout: [0, 0.5] },
    });
    const all = gridCombinations(grid);
    expect(all).toHaveLength(12);
    for (const [k, c] of all.entries()) expect(gridCombinationAt(grid, k)).toEqual(c);
  });
});

describe("where an experiment belongs", () => {
  it("is read from its combination and repeat, the scales in index order, even when two scales are equal", () => {
    const view = gridView({ weightScales: [0.1, 0.1, 0.01], epochs: 3, repeats: 2, grid: { optimizer: ["sgd", "adam"] } });
    expect(sweepExperiments(view.config).map((e) => e.scale)).toEqual([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2]);
    expect(experimentsAt(view, 1, 1).map((e) => e.index)).toEqual([4, 10]);
    expect(experimentsAt(view, 0, 2).map((e) => [e.index, e.repeat])).toEqual([
      [2, 0],
      [8, 1],
    ]);
  });
});
