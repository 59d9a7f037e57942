import { describe, expect, it } from "vitest";
import { EXPERIMENT_DEFAULTS } from "../../src/experiment/config";
import { plotSvg } from "../../src/sweep/plot-svg";
import { CSV_HEADER, resultsCsvLines } from "../../src/sweep/results-csv";
import { band } from "../../src/sweep/series";
import { scaleTitle } from "../../src/sweep/titles";
import type { ExperimentView, SweepView } from "../../src/sweep/view";

function view(weightScales: number[], repeats: number, testSize = 0): SweepView {
  const experiments: ExperimentView[] = [];
  for (let r = 0; r < repeats; r++) {
    weightScales.forEach((weightScale, s) => {
      const base = 0.1 * (s + 1) + 0.01 * r;
      const list = [base, base + 0.1, base + 0.2];
      const e: ExperimentView = {
        index: r * weightScales.length + s,
        weightScale,
        seed: 7 + r,
        repeat: r,
        combination: 0,
        grid: {},
        status: "completed",
        epochsDone: 3,
        plain: list.map((v) => v / 2),
        batchNorm: list,
      };
      if (testSize > 0) {
        e.testPlain = list.map((v) => v / 3);
        e.testBatchNorm = list.map((v) => v * 0.9);
      }
      experiments.push(e);
    });
  }
  return {
    id: "f".repeat(32),
    status: "completed",
    config: {
      ...EXPERIMENT_DEFAULTS,
      weightScales,
      epochs: 3,
      seed: 7,
      repeats,
      testSize,
      grid: {},
      seeding: "experiment",
      halving: null,
      trials: 100,
      search: null,
    },
    createdAt: "2026-11-27T00:00:00.000Z",
    experiments,
  };
}

describe("the figure", () => {
  it("has one titled panel per weight scale with a solid BN and a dashed plain curve", () => {
    const svg = plotSvg(view([1, 0.01, 0.0001], 1));
    expect(svg.match(/<g class="panel"/g)).toHaveLength(3);
    expect(svg.match(/<path class="curve"[^>]*stroke="#1f77b4" stroke-width="1.6"\/>/g)).toHaveLength(3);
    expect(svg.match(/<path class="curve"[^>]*stroke-dasharray="5 3"\/>/g)).toHaveLength(3);
    expect(svg).toContain(">W: 0.01<");
    expect(svg).toContain(">W: 1.00e-4<");
    expect(svg).toContain("Batch Normalization");
    expect(svg).not.toContain('class="band"');
  });

  it("draws the mean of repeats with a min–max band", () => {
    const svg = plotSvg(view([0.1, 0.01], 3));
    expect(svg.match(/<g class="panel"/g)).toHaveLength(2);
    expect(svg.match(/<polygon class="band"/g)).toHaveLength(4);
    expect(svg).toContain("mean of 3 seeds, band min–max");
  });

  it("adds dotted test curves only when asked and measured", () => {
    const withTest = view([0.1], 1, 100);
    expect(plotSvg(withTest).match(/<path class="curve"/g)).toHaveLength(2);
    expect(plotSvg(withTest, { showTest: true }).match(/<path class="curve"/g)).toHaveLength(4);
    expect(plotSvg(view([0.1], 1), { showTest: true }).match(/<path class="curve"/g)).toHaveLength(2);
  });

  it("titles scales as the seed's figure does", () => {
    expect(scaleTitle(0.5411695265464637)).toBe("W: 0.541");
    expect(scaleTitle(0.00018478497974222906)).toBe("W: 1.85e-4");
  });
});

describe("band", () => {
  it("is the mean, min and max per epoch up to the shortest list", () => {
    expect(
      band([
        [0.1, 0.5, 0.9],
        [0.3, 0.1],
      ]),
    ).toEqual({ mean: [0.2, 0.3], min: [0.1, 0.1], max: [0.3, 0.5] });
  });
});

describe("the CSV", () => {
  it("has one row per experiment × network × split × epoch", () => {
    const lines = [...resultsCsvLines(view([0.1, 0.01], 2, 50))].join("").trim().split("\n");
    expect(lines[0]).toBe(CSV_HEADER);
    expect(lines).toHaveLength(1 + 4 * 4 * 3);
    expect(lines[1]).toBe("0,0.1,7,0,batchnorm,train,0,0.1");
    expect(lines.at(-1)).toBe(`3,0.01,8,1,plain,test,2,${(0.21 + 0.2) / 3}`);
  });
});
