import { describe, expect, it } from "vitest";
import { sweepExperiments } from "../../src/sweep/config";
import { runnerExperiments } from "../../src/sweep/plan";
import { isFinalSweep, type SweepStatus } from "../../src/sweep/view";
import { postSweep, runEngine, startSweep, waitForSweep } from "./helpers";

const isFinal = (v: { status: SweepStatus }) => isFinalSweep(v.status);

const post = postSweep;

describe('seeding: "book" over HTTP', () => {
  it("runs each experiment from where the one before left the script's stream, in parallel, with the engine's lists", async () => {
    const request = {
      seeding: "book" as const,
      seed: 3,
      weightScales: [0.1, 0.01, 0.001],
      epochs: 2,
      trainSize: 200,
      testSize: 0,
    };
    const id = await startSweep(request);
    const done = await waitForSweep(id, isFinal);
    expect(done.status).toBe("completed");
    expect(done.config.seeding).toBe("book");
    const planned = runnerExperiments(done.config);
    const alone = sweepExperiments(done.config);
    for (const e of done.experiments) {
      const direct = await runEngine(planned[e.index].config);
      expect(e.plain).toEqual(direct.plain);
      expect(e.batchNorm).toEqual(direct.batchNorm);
      // The first experiment starts at the seed as with the default seeding; the others do not.
      const own = await runEngine(alone[e.index].config);
      if (e.index === 0) expect(own.batchNorm).toEqual(direct.batchNorm);
      else expect(own.batchNorm).not.toEqual(direct.batchNorm);
    }
  });

  it("reports the planning's random words in the dry run, 0 with the default seeding", async () => {
    const book = await post({ seeding: "book", seed: 0 }, "?dryRun=1");
    expect(book.status).toBe(200);
    // 16 experiments × (2 × 119,400 Gaussians × 2.6 words + 191 iterations × 100 choices × 2 words).
    expect(book.body.estimate?.planningWords).toBeCloseTo(16 * (2 * 119400 * 2.6 + 191 * 200), 3);
    expect((await post({ seed: 0 }, "?dryRun=1")).body.estimate?.planningWords).toBe(0);
    // Skipped dropout masks cost only the generator's twists: the book's sweep with dropout is admitted.
    const dropout = await post({ seeding: "book", seed: 0, dropout: 0.5 }, "?dryRun=1");
    expect(dropout.status).toBe(200);
    expect(dropout.body.estimate?.planningWords).toBeLessThan(2e8);
  });

  it("refuses with 400 a book-seeded sweep whose planning would draw too much, and an unknown seeding", async () => {
    const big = await post({
      seeding: "book",
      hiddenSizes: [400, 400, 400, 400],
      weightScales: Array(128).fill(0.01),
      epochs: 1,
      trainSize: 100,
    });
    expect(big.status).toBe(400);
    expect(big.body.error?.field).toBe("hiddenSizes");
    expect(big.body.error?.message).toMatch(
      /^hiddenSizes with seeding "book" makes planning draw about 5\.\d\de\+8 random words .* the limit is 5\.00e\+8/,
    );
    const unknown = await post({ seeding: "numpy" });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatchObject({ field: "seeding", message: "seeding must be one of experiment, book" });
  });
});
