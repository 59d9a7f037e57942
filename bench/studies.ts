/**
 * npm run bench:studies [-- --studies optimizers,weightDecay] [--seed S] [--halving JSON] [--json]
 * Chapter 6's studies with the book's settings, each two ways in one run on this machine: numpy
 * running the book's script (bench/numpy_studies.py, one BLAS thread) and `npm run sweep:local --
 * --study S` from command to exit on all cores; then the lists compared point for point
 * (accuracies: points equal and the worst difference; losses: the first iteration's and the
 * largest relative difference). With --halving, §6.5's sweep stops trials at rungs: each trial's
 * lists are compared with the prefix of numpy's full run they end at. Long: the book's settings
 * take minutes per study.
 */

import { execFileSync } from "node:child_process";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { mnistDataDir } from "../scripts/load-mnist";
import { onParentDeath } from "../scripts/parent-watch";
import { dismissReaper } from "../scripts/process-reaper";
import type { ExperimentView } from "../src/sweep/view";
import { cpuModel } from "./cpu";
import { timeLocalSweep } from "./local-sweep";

const STUDIES = ["optimizers", "weightInit", "weightDecay", "dropout", "randomSearch"] as const;

// Its parent gone (npm killed), it exits: the reaper then ends every peer and server it started.
onParentDeath(() => process.exit(129));

const { values: flags } = parseArgs({
  options: {
    studies: { type: "string", default: STUDIES.join(",") },
    seed: { type: "string", default: "0" },
    halving: { type: "string" },
    json: { type: "boolean", default: false },
  },
});
const seed = Number(flags.seed);
const studies = (flags.studies ?? "").split(",");
const log = (line: string) => (flags.json ? console.error(line) : console.log(line));

interface NumpyRun {
  seconds: number;
  train?: number[];
  test?: number[];
  loss?: Record<string, number[]>;
  trials?: { learningRate: number; weightDecay: number; train: number[]; validation: number[] }[];
}

/** numpy running the book's script with its settings (OPENBLAS_CORETYPE and _L2_SIZE unset: they slow it). */
function numpyRun(study: string): NumpyRun {
  const { OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE, ...env } = process.env;
  const script = fileURLToPath(new URL("numpy_studies.py", import.meta.url));
  const out = execFileSync("python3", [script, "--mnist", mnistDataDir(), "--study", study, "--seed", String(seed)], {
    encoding: "utf8",
    env: { ...env, OPENBLAS_NUM_THREADS: "1", OMP_NUM_THREADS: "1", MKL_NUM_THREADS: "1" },
    maxBuffer: 64 * 2 ** 20,
  });
  return JSON.parse(out) as NumpyRun;
}

/** How close two runs' lists are: accuracy points equal and the worst difference, or losses' relative differences. */
function compare(ours: ExperimentView[], theirs: NumpyRun): string {
  const pairs: [number[], number[]][] = [];
  if (theirs.loss) {
    const relative: number[] = [];
    let first = 0;
    for (const [net, list] of Object.entries(theirs.loss)) {
      const mine = ours[0].loss?.[net] ?? [];
      list.forEach((v, i) => {
        relative.push(Math.abs((mine[i] ?? Number.NaN) - v) / Math.abs(v));
      });
      first = Math.max(first, Math.abs((mine[0] ?? Number.NaN) - list[0]) / Math.abs(list[0]));
    }
    return `losses: first iteration within ${first.toExponential(1)} relative, largest over the run ${Math.max(...relative).toExponential(1)} (${relative.length} points)`;
  }
  if (theirs.trials) {
    // A trial stopped at a rung is compared with the prefix of numpy's full run it ends at.
    theirs.trials.forEach((t, i) => {
      const points = ours[i].stopped ? ours[i].epochsDone : t.train.length;
      pairs.push([ours[i].train ?? [], t.train.slice(0, points)], [ours[i].validation ?? [], t.validation.slice(0, points)]);
    });
    const drawn = theirs.trials.every((t, i) => ours[i].learningRate === t.learningRate && ours[i].weightDecay === t.weightDecay);
    const stopped = ours.filter((e) => e.stopped);
    const halving =
      stopped.length > 0 ? `; ${stopped.length} trials stopped at a rung, ${ours.length - stopped.length} run to the end` : "";
    return `${accuracies(pairs)}; learning rates and weight decays bit for bit: ${drawn}${halving}`;
  }
  pairs.push([ours[0].train ?? [], theirs.train ?? []], [ours[0].test ?? [], theirs.test ?? []]);
  return accuracies(pairs);
}

function accuracies(pairs: [number[], number[]][]): string {
  let equal = 0;
  let total = 0;
  let worst = 0;
  for (const [mine, theirs] of pairs) {
    theirs.forEach((v, i) => {
      total++;
      if (mine[i] === v) equal++;
      worst = Math.max(worst, Math.abs((mine[i] ?? Number.NaN) - v));
    });
  }
  return `accuracies: ${equal}/${total} points equal, worst difference ${worst}`;
}

log(
  `bench:studies on ${cpuModel()}, ${availableParallelism()} cores, Node ${process.version}; seed ${seed}, the book's settings`,
);
const results = [];
for (const study of studies) {
  const numpy = numpyRun(study);
  const halving = study === "randomSearch" && flags.halving ? ["--halving", flags.halving] : [];
  const local = await timeLocalSweep(availableParallelism(), seed, ["--study", study, ...halving]);
  const closeness = compare(local.experiments, numpy);
  const ratio = local.seconds / numpy.seconds;
  log(
    `${study}${halving.length > 0 ? ` with halving ${flags.halving}` : ""}: numpy ${numpy.seconds.toFixed(1)} s, sweep:local ${local.seconds.toFixed(1)} s (POST to completed ${local.postToDoneSeconds.toFixed(1)} s), ratio ${ratio.toFixed(2)}×; ${closeness}`,
  );
  results.push({ study, numpySeconds: numpy.seconds, localSeconds: local.seconds, ratio, closeness });
}
if (flags.json) console.log(JSON.stringify({ cpu: cpuModel(), seed, results }, null, 2));
await dismissReaper();
