/**
 * npm run bench [-- --json] [--runs N] [--scales 0,5,10,15] [--no-sweep] [--no-workerd] [--local-sweep]
 * Our engine against bench/numpy_reference.py (OPENBLAS_NUM_THREADS=1), in one run on this machine:
 * default experiments per weight scale (median of N runs) in Node and inside workerd, the full
 * 16-scale sweep in one process, kernel GFLOP/s, the time to build the networks (and glibcLog's
 * per call), a 60,000-image experiment's memory, and the peak memory of the process.
 * `--local-sweep` adds the sweep on a local server with 1 and with all cores.
 */

import { spawnSync } from "node:child_process";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { loadMnist, mnistDataDir } from "../scripts/load-mnist";
import { BOOK_WEIGHT_SCALES, EXPERIMENT_DEFAULTS } from "../src/experiment/config";
import { Experiment, type ExperimentResult } from "../src/experiment/experiment";
import { kernelFigures } from "./kernels";
import { type LocalSweepTiming, timeLocalSweep } from "./local-sweep";
import { networkBuildFigure } from "./network-build";
import type { WorkerdTiming } from "./workerd/run-in-workerd";

const { values: flags } = parseArgs({
  options: {
    json: { type: "boolean", default: false },
    runs: { type: "string", default: "3" },
    scales: { type: "string", default: "0,5,10,15" },
    "no-sweep": { type: "boolean", default: false },
    "no-workerd": { type: "boolean", default: false },
    "local-sweep": { type: "boolean", default: false },
  },
});
const runs = Math.max(1, Number(flags.runs));
const scaleIndices = (flags.scales ?? "").split(",").map(Number);
const SEED = 0;

interface NumpyExperiment {
  index: number;
  plain: number[];
  batchnorm: number[];
  seconds: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const log = (line: string) => {
  if (!flags.json) console.log(line);
};

function runNumpy(indices: number[], repeat: number): { version: string; experiments: NumpyExperiment[] } | { missing: string } {
  const script = fileURLToPath(new URL("numpy_reference.py", import.meta.url));
  const res = spawnSync(
    "python3",
    [script, "--mnist", mnistDataDir(), "--seed", String(SEED), "--scales", indices.join(","), "--repeat", String(repeat)],
    {
      env: { ...process.env, OPENBLAS_NUM_THREADS: "1", OMP_NUM_THREADS: "1", MKL_NUM_THREADS: "1" },
      encoding: "utf8",
      maxBuffer: 1 << 26,
    },
  );
  if (res.error) return { missing: `python3 could not be started (${res.error.message})` };
  if (res.status !== 0) {
    const reason = /No module named 'numpy'/.test(res.stderr) ? "numpy is not installed" : res.stderr.trim().split("\n").at(-1);
    return { missing: `the numpy peer did not run: ${reason}` };
  }
  const out = JSON.parse(res.stdout) as { numpy: string; experiments: NumpyExperiment[] };
  return { version: out.numpy, experiments: out.experiments };
}

/** Timed as numpy's `run`: building the networks (their random weights) included. */
function runOurs(data: ReturnType<typeof loadMnist>, index: number): { seconds: number; result: ExperimentResult } {
  const start = performance.now();
  const exp = new Experiment({ ...EXPERIMENT_DEFAULTS, weightScale: BOOK_WEIGHT_SCALES[index], seed: SEED }, data);
  const result = exp.run();
  return { seconds: (performance.now() - start) / 1000, result };
}

function sameLists(ours: Pick<ExperimentResult, "plain" | "batchNorm">, theirs: NumpyExperiment): boolean {
  const eq = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => v === b[i]);
  return eq(ours.plain, theirs.plain) && eq(ours.batchNorm, theirs.batchnorm);
}

const data = loadMnist();
// Kernels and the network build first, in a process that has not yet fetched or spawned workerd:
// once any ArrayBuffer has been detached, V8 checks every typed-array access for it (about 2×
// slower kernels; see src/nn/linalg/packed-kernel.ts).
const kernels = kernelFigures(data.train);
for (const k of kernels)
  log(
    `kernel ${k.shape.padEnd(18)} ${k.gflops.toFixed(2).padStart(6)} GFLOP/s  ${k.microseconds.toFixed(0).padStart(6)} µs  ${k.name}`,
  );

const networkBuild = networkBuildFigure(data);
log(
  `building both networks (new Experiment, default config): ${networkBuild.buildMs.toFixed(2)} ms; ` +
    `glibcLog ${networkBuild.logNsPerCall.toFixed(1)} ns per call on legacy_gauss inputs`,
);

log(`bench: seed ${SEED}, default experiment (20 epochs, both networks), median of ${runs} runs, one core`);

const perScale = scaleIndices.map((index) => {
  const times: number[] = [];
  let result: ExperimentResult | undefined;
  for (let r = 0; r < runs; r++) {
    const run = runOurs(data, index);
    times.push(run.seconds);
    result = run.result;
  }
  return { index, scale: BOOK_WEIGHT_SCALES[index], seconds: median(times), result: result as ExperimentResult };
});
function runWorkerd(indices: number[], repeat: number): WorkerdTiming[] | { missing: string } {
  const script = fileURLToPath(new URL("workerd/main.ts", import.meta.url));
  const res = spawnSync(
    process.execPath,
    ["--import", "tsx", script, "--scales", indices.join(","), "--runs", String(repeat), "--seed", String(SEED)],
    { encoding: "utf8", maxBuffer: 1 << 26, env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
  );
  if (res.status !== 0)
    return { missing: `workerd did not run: ${(res.error?.message ?? res.stderr.trim().split("\n").at(-1)) || "no output"}` };
  return JSON.parse(res.stdout) as WorkerdTiming[];
}

const workerd = flags["no-workerd"] ? { missing: "skipped (--no-workerd)" } : runWorkerd(scaleIndices, runs);
const numpy = runNumpy(scaleIndices, runs);
const experiments = perScale.map((ours) => {
  const peer = "missing" in numpy ? undefined : numpy.experiments.find((e) => e.index === ours.index);
  const inWorkerd = "missing" in workerd ? undefined : workerd.find((w) => w.index === ours.index);
  return {
    index: ours.index,
    scale: ours.scale,
    oursSeconds: ours.seconds,
    numpySeconds: peer?.seconds ?? null,
    ratio: peer ? ours.seconds / peer.seconds : null,
    sameLists: peer ? sameLists(ours.result, peer) : null,
    workerdSeconds: inWorkerd?.seconds ?? null,
    workerdRatio: inWorkerd && peer ? inWorkerd.seconds / peer.seconds : null,
    workerdSameLists: inWorkerd && peer ? sameLists(inWorkerd.result, peer) : null,
  };
});
if ("missing" in numpy) log(`numpy: ${numpy.missing}; measuring our side only`);
if ("missing" in workerd) log(`workerd: ${workerd.missing}`);
for (const e of experiments) {
  const peer =
    e.numpySeconds === null
      ? ""
      : `  numpy ${e.numpySeconds.toFixed(3)} s  ratio ${(e.ratio as number).toFixed(2)}×  same lists: ${e.sameLists}`;
  log(`scale ${String(e.index).padStart(2)} (${e.scale.toExponential(2)})  ours ${e.oursSeconds.toFixed(3)} s${peer}`);
  if (e.workerdSeconds !== null) {
    const ratio = e.workerdRatio === null ? "" : `  ratio ${e.workerdRatio.toFixed(2)}×  same lists: ${e.workerdSameLists}`;
    log(`          in workerd   ${e.workerdSeconds.toFixed(3)} s${ratio}`);
  }
}

let sweep: { oursSeconds: number; numpySeconds: number | null; ratio: number | null; sameLists: boolean | null } | null = null;
if (!flags["no-sweep"]) {
  const all = BOOK_WEIGHT_SCALES.map((_, i) => i);
  const start = performance.now();
  const results = all.map((i) => runOurs(data, i).result);
  const oursSeconds = (performance.now() - start) / 1000;
  const peer = runNumpy(all, 1);
  const numpySeconds = "missing" in peer ? null : peer.experiments.reduce((s, e) => s + e.seconds, 0);
  const same = "missing" in peer ? null : results.every((r, i) => sameLists(r, peer.experiments[i]));
  sweep = { oursSeconds, numpySeconds, ratio: numpySeconds ? oursSeconds / numpySeconds : null, sameLists: same };
  log(
    `full sweep, 16 scales: ours ${oursSeconds.toFixed(2)} s${numpySeconds ? `  numpy ${numpySeconds.toFixed(2)} s  ratio ${(sweep.ratio as number).toFixed(2)}×  same lists: ${same}` : ""}`,
  );
}

const localSweeps: (Omit<LocalSweepTiming, "view"> & { ratio: number | null; sameLists: boolean | null })[] = [];
if (flags["local-sweep"]) {
  const peer = runNumpy(
    BOOK_WEIGHT_SCALES.map((_, i) => i),
    1,
  );
  const numpySeconds = "missing" in peer ? null : peer.experiments.reduce((s, e) => s + e.seconds, 0);
  for (const runners of [...new Set([1, availableParallelism()])]) {
    const { seconds, view } = await timeLocalSweep(runners, SEED);
    const same = "missing" in peer ? null : view.experiments.every((e, i) => sameLists(e, peer.experiments[i]));
    localSweeps.push({ runners, seconds, ratio: numpySeconds ? seconds / numpySeconds : null, sameLists: same });
    log(
      `local sweep, ${runners} runner process(es): ${seconds.toFixed(1)} s from POST to completed${numpySeconds ? `  numpy sequential ${numpySeconds.toFixed(1)} s  ratio ${(seconds / numpySeconds).toFixed(2)}×  same lists: ${same}` : ""}`,
    );
  }
}

// Collected before and after (node --expose-gc), so that the difference is what the experiment
// holds; array buffers are released by a background sweeper, hence the pauses.
const settle = async () => {
  for (let i = 0; i < 3; i++) {
    (globalThis as { gc?: () => void }).gc?.();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return process.memoryUsage();
};
const before = await settle();
const big = new Experiment({ ...EXPERIMENT_DEFAULTS, weightScale: 0.01, seed: SEED, trainSize: 60000, epochs: 1 }, data);
big.run();
const after = await settle();
if (big.epochsDone !== 1) throw new Error("the 60,000-image experiment did not finish its epoch");
const memory = {
  trainSize60000: {
    heapUsedMB: after.heapUsed / 2 ** 20,
    arrayBuffersMB: after.arrayBuffers / 2 ** 20,
    experimentHeapMB: (after.heapUsed - before.heapUsed + after.arrayBuffers - before.arrayBuffers) / 2 ** 20,
  },
  peakRssMB: process.resourceUsage().maxRSS / 1024,
};
log(
  `memory: experiment with trainSize 60000 adds ${memory.trainSize60000.experimentHeapMB.toFixed(1)} MB; ` +
    `heap ${memory.trainSize60000.heapUsedMB.toFixed(1)} MB + array buffers ${memory.trainSize60000.arrayBuffersMB.toFixed(1)} MB ` +
    `(all of MNIST as bytes); peak RSS ${memory.peakRssMB.toFixed(0)} MB`,
);

if (flags.json) {
  console.log(
    JSON.stringify(
      {
        seed: SEED,
        runs,
        numpy: "missing" in numpy ? { missing: numpy.missing } : { version: numpy.version },
        workerd: "missing" in workerd ? { missing: workerd.missing } : { runs },
        experiments,
        sweep,
        localSweeps,
        kernels,
        networkBuild,
        memory,
      },
      null,
      2,
    ),
  );
}
