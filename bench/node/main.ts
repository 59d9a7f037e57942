/**
 * A timing peer for `npm run bench` (bench/peer.ts): runs default experiments in this Node
 * process, one per scale index read from stdin, each answered as one JSON line. Its own process,
 * which does nothing but the experiments: in Node 20 a single detached ArrayBuffer (a fetch, a
 * transfer) makes every typed-array access slower afterwards.
 */

import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { loadMnist } from "../../scripts/load-mnist";
import { BOOK_WEIGHT_SCALES, EXPERIMENT_DEFAULTS } from "../../src/experiment/config";
import { Experiment } from "../../src/experiment/experiment";

const { values } = parseArgs({ options: { seed: { type: "string", default: "0" } } });
const data = loadMnist();
const seed = Number(values.seed);
console.log(JSON.stringify({ node: process.version }));
for await (const line of createInterface({ input: process.stdin })) {
  const index = Number(line);
  // Timed as numpy's `run`: building the networks (their random weights) included.
  const start = performance.now();
  const result = new Experiment({ ...EXPERIMENT_DEFAULTS, weightScale: BOOK_WEIGHT_SCALES[index], seed }, data).run();
  console.log(JSON.stringify({ index, seconds: (performance.now() - start) / 1000, result }));
}
