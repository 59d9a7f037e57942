/**
 * Prints, as JSON, default experiments timed inside workerd: `--scales 0,5 --runs 3 --seed 0`.
 * `npm run bench` runs it as its own process: talking to workerd detaches array buffers, and after
 * the first detach V8 checks every typed-array access for it (measured 44% slower), which would
 * slow the Node measurements that follow in the same process.
 */

import { parseArgs } from "node:util";
import { loadMnist } from "../../scripts/load-mnist";
import { timeInWorkerd } from "./run-in-workerd";

const { values } = parseArgs({
  options: {
    scales: { type: "string", default: "5" },
    runs: { type: "string", default: "1" },
    seed: { type: "string", default: "0" },
  },
});
const timings = await timeInWorkerd(
  loadMnist(),
  (values.scales ?? "").split(",").map(Number),
  Number(values.runs),
  Number(values.seed),
);
console.log(JSON.stringify(timings));
