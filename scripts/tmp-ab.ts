import { Experiment } from "../src/experiment";
import { BOOK_WEIGHT_SCALES, EXPERIMENT_DEFAULTS } from "../src/experiment-config";
import { loadMnist } from "./load-mnist";

const data = loadMnist();
const scales = (process.env.S ?? "0,5,10,15").split(",").map(Number);
const runs = Number(process.env.R ?? 3);
const med: string[] = [];
let total = 0;
for (const s of scales) {
  const t: number[] = [];
  for (let r = 0; r < runs; r++) {
    const e = new Experiment({ ...EXPERIMENT_DEFAULTS, weightScale: BOOK_WEIGHT_SCALES[s], seed: 0 }, data);
    const t0 = performance.now();
    e.run();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  const m = t[Math.floor(runs / 2)];
  total += m;
  med.push(`${s}:${(m / 1000).toFixed(3)}`);
}
console.log(med.join("  "), " sum", (total / 1000).toFixed(3));
