import { describe, expect, it } from "vitest";
import { NumpyRandom } from "../../src/numpy/random-state";
import { runnerExperiments } from "../../src/sweep/plan";
import { drawTrial } from "../../src/sweep/search";
import { isFinalSweep, type SweepStatus } from "../../src/sweep/view";
import numpySearch from "../fixtures/study-randomSearch-seed0.json";
import { api, postSweep, runEngine, startSweep, waitForSweep } from "./helpers";

const isFinal = (v: { status: SweepStatus }) => isFinalSweep(v.status);

const post = postSweep;

describe("chapter 6's studies over HTTP", () => {
  it("runs a weightDecay study with the script's settings as defaults: one experiment with train and test per epoch, the engine's lists", async () => {
    const id = await startSweep({ study: "weightDecay", seed: 2, epochs: 3, testSize: 200 });
    const done = await waitForSweep(id, isFinal);
    expect(done.status).toBe("completed");
    expect(done.config).toMatchObject({
      study: "weightDecay",
      trainSize: 300,
      weightDecay: 0.1,
      seeding: "book",
      weightScales: [],
    });
    expect(done.config.hiddenSizes).toEqual([100, 100, 100, 100, 100, 100]);
    expect(done.experiments).toHaveLength(1);
    const [e] = done.experiments;
    expect(e.weightScale).toBeNull();
    expect(e.train).toHaveLength(3);
    expect(e.test).toHaveLength(3);
    const direct = await runEngine(runnerExperiments(done.config)[0].config);
    expect(e.train).toEqual(direct.train);
    expect(e.test).toEqual(direct.test);

    const csv = (await (await api(`/api/sweeps/${id}/results.csv`)).text()).trim().split("\n");
    expect(csv[0]).toBe("experiment,seed,repeat,split,epoch,accuracy");
    expect(csv).toHaveLength(1 + 6);
    expect(csv[1]).toBe(`0,2,0,train,0,${e.train?.[0]}`);
    expect(csv[6]).toBe(`0,2,0,test,2,${e.test?.[2]}`);
    const svg = await (await api(`/api/sweeps/${id}/plot.svg`)).text();
    expect(svg).toContain("Overfitting and weight decay (§6.4)");
    expect(svg.match(/class="curve"/g)).toHaveLength(2);
    const summary = await api(`/api/sweeps/${id}/summary.svg`);
    expect(summary.status).toBe(404);
  });

  it("runs an optimizers study: one loss per iteration for SGD, Momentum, AdaGrad and Adam, in a CSV row each", async () => {
    const id = await startSweep({ study: "optimizers", seed: 0, iterations: 12, trainSize: 2000 });
    const done = await waitForSweep(id, isFinal);
    expect(done.status).toBe("completed");
    const [e] = done.experiments;
    expect(Object.keys(e.loss ?? {})).toEqual(["sgd", "momentum", "adagrad", "adam"]);
    for (const losses of Object.values(e.loss ?? {})) expect(losses).toHaveLength(12);
    const direct = await runEngine(runnerExperiments(done.config)[0].config);
    expect(e.loss).toEqual(direct.loss);
    expect(e.epochsDone).toBe(12);
    const csv = (await (await api(`/api/sweeps/${id}/results.csv`)).text()).trim().split("\n");
    expect(csv[0]).toBe("experiment,seed,repeat,network,iteration,loss");
    expect(csv).toHaveLength(1 + 4 * 12);
    expect(csv[13]).toBe(`0,0,0,momentum,0,${e.loss?.momentum[0]}`);
    const svg = await (await api(`/api/sweeps/${id}/plot.svg`)).text();
    expect(svg).toContain("Optimizers on MNIST (§6.1)");
    expect(svg.match(/class="curve"/g)).toHaveLength(4);
  });

  it("refuses with 400 a field the study does not use, naming it, and counts one experiment per repeat in the dry run", async () => {
    const scales = await post({ study: "optimizers", weightScales: [0.1] });
    expect(scales.status).toBe(400);
    expect(scales.body.error?.field).toBe("weightScales");
    expect(scales.body.error?.message).toContain("is not used by study optimizers");
    const epochs = await post({ study: "weightInit", epochs: 3 });
    expect(epochs.body.error?.field).toBe("epochs");
    const iterations = await post({ study: "dropout", iterations: 3 });
    expect(iterations.body.error?.field).toBe("iterations");
    const grid = await post({ study: "weightDecay", grid: { optimizer: ["sgd"], batchSize: [50, 100] } }, "?dryRun=1");
    expect(grid.status).toBe(200);
    expect(grid.body.estimate?.experiments).toBe(2);
    const badGrid = await post({ study: "optimizers", grid: { learningRate: [0.1] } });
    expect(badGrid.body.error?.field).toBe("grid.learningRate");
    const dry = await post({ study: "dropout", repeats: 3 }, "?dryRun=1");
    expect(dry.status).toBe(200);
    expect(dry.body.estimate?.experiments).toBe(3);
  });

  it("runs the book's random search: trials in parallel, each with its drawn learning rate and weight decay, train and validation per epoch, and its figure", async () => {
    const id = await startSweep({ study: "randomSearch", seed: 0, trials: 3, epochs: 2 });
    const done = await waitForSweep(id, isFinal);
    expect(done.status).toBe("completed");
    expect(done.experiments).toHaveLength(3);
    const planned = runnerExperiments(done.config);
    done.experiments.forEach((e, t) => {
      expect(e.trial).toBe(t);
      expect(e.learningRate).toBe(planned[t].config.learningRate);
      expect(e.weightDecay).toBe(planned[t].config.weightDecay);
      expect(e.train).toHaveLength(2);
      expect(e.validation).toHaveLength(2);
      expect("plain" in e).toBe(false);
    });
    // Trial 0 draws right after the script's shuffle: numpy's values (bench/numpy_studies.py, seed 0).
    expect(done.experiments[0].learningRate).toBe(numpySearch.trials[0].learningRate);
    expect(done.experiments[0].weightDecay).toBe(numpySearch.trials[0].weightDecay);
    const direct = await runEngine(planned[2].config);
    expect(done.experiments[2].validation).toEqual(direct.validation);

    const csv = (await (await api(`/api/sweeps/${id}/results.csv`)).text()).trim().split("\n");
    expect(csv[0]).toBe("experiment,seed,repeat,weightDecay,learningRate,split,epoch,accuracy");
    expect(csv).toHaveLength(1 + 3 * 2 * 2);
    const svg = await (await api(`/api/sweeps/${id}/plot.svg`)).text();
    expect(svg.match(/>Best-\d/g)).toHaveLength(3);
    expect(svg.match(/<circle class="trial"/g)).toHaveLength(3);
  });

  it("searches any sweep: values drawn from the sweep's stream in the request's order, a trial's values on each of its weight scales", async () => {
    const space = { learningRate: { log10Uniform: [-1, -3] }, optimizer: { choice: ["sgd", "adam"] } };
    const id = await startSweep({ seed: 4, weightScales: [0.1, 0.01], epochs: 2, trainSize: 200, search: { trials: 2, space } });
    const done = await waitForSweep(id, isFinal);
    expect(done.status).toBe("completed");
    expect(done.experiments).toHaveLength(4);
    const rng = new NumpyRandom(4);
    const trials = [drawTrial(rng, space), drawTrial(rng, space)];
    done.experiments.forEach((e, i) => {
      const trial = trials[Math.floor(i / 2)];
      expect({ learningRate: e.learningRate, optimizer: e.optimizer }).toEqual(trial);
      expect(e.grid).toEqual(trial);
      expect(e.batchNorm).toHaveLength(2);
    });
    const svg = await (await api(`/api/sweeps/${id}/plot.svg`)).text();
    expect(svg.match(/class="block"/g)).toHaveLength(2);
  });

  it("refuses with 400 a search that breaks a field's rule, repeats a given field, sits beside a grid, or draws a field it cannot", async () => {
    const search = (space: object, trials = 2) => ({ trials, space });
    const big = await post({ search: search({ learningRate: { log10Uniform: [-2, 5] } }) });
    expect(big.status).toBe(400);
    expect(big.body.error?.field).toBe("search.space.learningRate");
    expect(big.body.error?.message).toContain("can draw 100000");
    expect(
      (await post({ learningRate: 0.1, search: search({ learningRate: { uniform: [0.01, 0.1] } }) })).body.error?.field,
    ).toBe("learningRate");
    expect(
      (await post({ grid: { batchSize: [50] }, search: search({ dropout: { uniform: [0, 0.5] } }) })).body.error?.field,
    ).toBe("grid");
    expect((await post({ search: search({ epochs: { choice: [1, 2] } }) })).body.error?.field).toBe("search.space.epochs");
    expect((await post({ search: search({ optimizer: { choice: ["sgd", "rmsprop"] } }) })).body.error?.field).toBe(
      "search.space.optimizer",
    );
    expect(
      (await post({ study: "randomSearch", trials: 5, search: search({ learningRate: { uniform: [0.01, 0.1] } }) })).body.error
        ?.field,
    ).toBe("trials");
    const dry = await post({ weightScales: [0.1, 0.01], search: search({ dropout: { uniform: [0, 0.5] } }, 3) }, "?dryRun=1");
    expect(dry.status).toBe(200);
    expect(dry.body.estimate?.experiments).toBe(6);
  });

  it.each(["optimizers", "weightInit", "weightDecay", "dropout", "randomSearch"])(
    "admits the %s study with its script's settings (the dry run's estimate within the isolate's budget)",
    async (study) => {
      const dry = await post({ study }, "?dryRun=1");
      expect(dry.status, JSON.stringify(dry.body)).toBe(200);
      expect(dry.body.estimate?.experiments).toBe(study === "randomSearch" ? 100 : 1);
    },
  );

  it("refuses with 400 what would not follow the book's script: a drawn field given, too few images to validate, a batch that does not divide the images, too many iterations to store", async () => {
    expect((await post({ study: "randomSearch", learningRate: 0.1 })).body.error?.field).toBe("learningRate");
    expect((await post({ study: "randomSearch", trainSize: 4, batchSize: 1 })).body.error?.field).toBe("trainSize");
    const odd = await post({ study: "weightDecay", batchSize: 128 });
    expect(odd.body.error?.field).toBe("batchSize");
    expect(odd.body.error?.message).toContain("must divide the 300 training images");
    expect((await post({ seeding: "book", trainSize: 1000, grid: { batchSize: [100, 300] } })).body.error?.field).toBe(
      "grid.batchSize[1]",
    );
    expect((await post({ study: "optimizers", iterations: 20000 })).body.error?.field).toBe("iterations");
  });

  it("prices a search at its costliest draws before it draws: an optimizer choice with Adam costs what Adam costs", async () => {
    const body = (space: object) => ({ weightScales: [0.1], search: { trials: 2, space } });
    type Estimate = { estimate?: { peakMemoryBytes: number } };
    const choice = (await post(body({ optimizer: { choice: ["sgd", "adam"] } }), "?dryRun=1")).body as Estimate;
    const adam = (await post({ weightScales: [0.1, 0.1], optimizer: "adam" }, "?dryRun=1")).body as Estimate;
    const sgd = (await post({ weightScales: [0.1, 0.1] }, "?dryRun=1")).body as Estimate;
    expect(choice.estimate?.peakMemoryBytes).toBe(adam.estimate?.peakMemoryBytes);
    expect(choice.estimate?.peakMemoryBytes).toBeGreaterThan(sgd.estimate?.peakMemoryBytes ?? Number.POSITIVE_INFINITY);
  });
});
