import { Experiment } from "../src/experiment";
import { parseSweepConfig } from "../src/sweep";
import { runnerExperiments } from "../src/sweep/plan";
import { loadMnist } from "./load-mnist";

const data = loadMnist();
const sweep = parseSweepConfig(
  {
    trainSize: 200,
    testSize: 0,
    batchSize: 20,
    hiddenSizes: [16],
    epochs: 40,
    weightScales: Array.from({ length: 40 }, (_, i) => 0.01 * (i + 1)),
  },
  () => 0,
);
const exps = runnerExperiments(sweep);
const t0 = performance.now();
for (const e of exps) new Experiment(e.config, data).run();
console.log("per experiment ms", (performance.now() - t0) / exps.length);
