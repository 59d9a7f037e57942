import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ExperimentResult } from "../../src/experiment";
import type { SweepRequest } from "../../src/sweep/config";
import { PLACED_BY_INDEX } from "../../src/sweep/coordinator-ports";
import { runnerExperiments } from "../../src/sweep/plan";
import type { SweepView } from "../../src/sweep/view";
import { SweepTable } from "../../workers/sweep-table";
import { api, coordinatorStub, isFinal, postSweep, runEngine, startSweep, waitForSweep } from "./helpers";

const REQUEST: SweepRequest = { study: "randomSearch", seed: 0, trials: 4, epochs: 5, halving: { rungs: [2, 4], keep: 0.5 } };

/** The trials a rung keeps, worked out from full runs: the best `kept` of `entered` by validation accuracy at `points`, the lower index on a tie. */
function best(runs: ExperimentResult[], entered: number[], points: number, kept: number): number[] {
  return [...entered]
    .sort((a, b) => (runs[b].validation?.[points - 1] ?? 0) - (runs[a].validation?.[points - 1] ?? 0) || a - b)
    .slice(0, kept);
}

describe("successive halving over HTTP", () => {
  it("runs §6.5's search with rungs at 2 and 4 epochs: 4 trials, 2 kept, 1 to the end; a stopped trial's lists a prefix of its full run", async () => {
    const id = await startSweep(REQUEST);
    const done: SweepView = await waitForSweep(id, isFinal, 90_000);
    expect(done.status).toBe("completed");
    const planned = runnerExperiments(done.config);
    const runs = await Promise.all(planned.map((e) => runEngine(e.config)));
    const atTwo = best(runs, [0, 1, 2, 3], 2, 2);
    const atFour = best(runs, atTwo, 4, 1);
    const expected = [0, 1, 2, 3].map((t) => (atFour.includes(t) ? 5 : atTwo.includes(t) ? 4 : 2));
    expect(done.experiments.map((e) => e.epochsDone)).toEqual(expected);
    done.experiments.forEach((e, t) => {
      expect(e.status).toBe("completed");
      expect(e.stopped ?? false).toBe(expected[t] < 5);
      expect(e.validation).toEqual(runs[t].validation?.slice(0, expected[t]));
      expect(e.train).toEqual(runs[t].train?.slice(0, expected[t]));
    });
    // The figure's first panel is the trial that ran to the end; the two stopped at the first rung say so.
    const svg = await (await api(`/api/sweeps/${id}/plot.svg`)).text();
    expect(svg.match(/<g class="panel" data-experiment="(\d+)"/)?.[1]).toBe(String(atFour[0]));
    expect(svg.match(/, stop 2\)<\/text>/g)).toHaveLength(2);
  });

  it("shows in the dry run the trials at each rung and the work saved", async () => {
    const dry = await postSweep(REQUEST, "?dryRun=1");
    expect(dry.status).toBe(200);
    const halving = dry.body.estimate?.halving;
    // 2 trials stop at 2 epochs, 1 at 4, 1 runs all 5: 13 of 20 epochs.
    expect(halving).toMatchObject({ trialsPerRung: [4, 2, 1], epochs: 13, epochsWithout: 20 });
    const without = (await postSweep({ ...REQUEST, halving: undefined }, "?dryRun=1")).body.estimate;
    expect(halving?.multiplyAddsWithout).toBe(without?.multiplyAdds);
    expect(dry.body.estimate?.multiplyAdds).toBeLessThan(without?.multiplyAdds ?? 0);
    // Between the evaluations saved (7 of 20) and the steps saved: p points take (p − 1) × 4 + 1
    // steps here, 40 of 68 run.
    expect(halving?.workSaved).toBeGreaterThan(7 / 20);
    expect(halving?.workSaved).toBeLessThan(28 / 68);
    // §6.5's 100 trials, rungs at 5 and 15 epochs keeping 34%: 100, 34, 12 trials; 1260 of 5000 epochs.
    const book = (await postSweep({ study: "randomSearch", halving: { rungs: [5, 15], keep: 0.34 } }, "?dryRun=1")).body.estimate;
    expect(book?.halving).toMatchObject({ trialsPerRung: [100, 34, 12], epochs: 1260, epochsWithout: 5000 });
    expect(book?.halving?.workSaved).toBeGreaterThan(1 - 1260 / 5000);
  });

  it.each([
    ["without a search", { epochs: 3, halving: { rungs: [1], keep: 0.5 } }, "halving"],
    ["in a loss study", { study: "optimizers", halving: { rungs: [1], keep: 0.5 } }, "halving"],
    [
      "without held-out images to rank by",
      {
        study: "weightDecay",
        testSize: 0,
        search: { trials: 4, space: { learningRate: { log10Uniform: [-1, -3] } } },
        halving: { rungs: [1], keep: 0.5 },
      },
      "testSize",
    ],
    ["with a rung at the run's end", { ...REQUEST, halving: { rungs: [2, 5], keep: 0.5 } }, "halving.rungs[1]"],
    ["with rungs out of order", { ...REQUEST, halving: { rungs: [3, 2], keep: 0.5 } }, "halving.rungs[1]"],
    ["keeping every trial", { ...REQUEST, halving: { rungs: [2], keep: 1 } }, "halving.keep"],
    ["with a field it does not take", { ...REQUEST, halving: { rungs: [2], keep: 0.5, eta: 3 } }, "halving.eta"],
  ])("refuses with 400 halving %s, naming the field", async (_, body, field) => {
    const answer = await postSweep(body);
    expect(answer.status).toBe(400);
    expect(answer.body.error?.field).toBe(field);
  });
});

describe("a sweep stored before halving", () => {
  it("gets the new columns when its table is opened: read as running to the end, not stopped, and saved with them", async () => {
    await runInDurableObject(coordinatorStub("e".repeat(32)), async (_, state) => {
      const { sql } = state.storage;
      // The first schema: no trial_values, pause_at, stopped or shard.
      sql.exec(`CREATE TABLE sweep (id TEXT PRIMARY KEY, config TEXT NOT NULL, request_hash TEXT NOT NULL, status TEXT NOT NULL,
        created_at TEXT NOT NULL, completed_at TEXT);
        CREATE TABLE experiment (idx INTEGER PRIMARY KEY, repeat INTEGER NOT NULL, weight_scale REAL, seed INTEGER NOT NULL,
        status TEXT NOT NULL, epochs_done INTEGER NOT NULL, lists TEXT NOT NULL, error TEXT, last_report INTEGER NOT NULL,
        restarts INTEGER NOT NULL, runner TEXT, combination INTEGER NOT NULL);`);
      sql.exec(
        "INSERT INTO sweep VALUES (?, ?, 'h', 'running', '2026-01-01T00:00:00.000Z', NULL)",
        "e".repeat(32),
        JSON.stringify({ weightScales: [1], epochs: 2, seed: 1, repeats: 1, grid: {} }),
      );
      sql.exec(
        `INSERT INTO experiment VALUES (0, 0, 1, 1, 'running', 1, '{"plain":[0.5],"batchNorm":[0.6]}', NULL, 0, 0, NULL, 0)`,
      );
      const table = new SweepTable(sql);
      const record = table.experimentRecord(0);
      expect(record).toMatchObject({ status: "running", epochsDone: 1, pauseAt: null, stopped: false });
      table.saveExperiment({ ...(record as NonNullable<typeof record>), status: "completed", epochsDone: 2 });
      expect(table.rungStates()).toEqual([{ index: 0, status: "completed", pauseAt: null }]);
      expect(table.experimentRecord(0)?.stopped).toBe(false);
      expect(table.view()?.config.halving).toBeNull();
      // Its runner was placed by its index, as every runner then, started or not.
      expect([table.shardOf(0), new SweepTable(sql).shardOf(0)]).toEqual([PLACED_BY_INDEX, PLACED_BY_INDEX]);
      // A shard stored is what a new object reads.
      table.setShard(0, 1);
      expect([table.shardOf(0), new SweepTable(sql).shardOf(0)]).toEqual([1, 1]);
    });
  });
});
