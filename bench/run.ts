/**
 * npm run bench [-- --json] [--runs N] [--scales 0,5,10,15] [--no-sweep] [--no-workerd] [--local-sweep]
 * Our engine against bench/numpy_reference.py (OPENBLAS_NUM_THREADS=1), in one run on this machine:
 * default experiments per weight scale (median of N runs) in Node and inside workerd, the full
 * 16-scale sweep in one process, kernel GFLOP/s, the time to build the networks (and glibcLog's
 * per call), a 60,000-image experiment's memory, and the peak memory of the process.
 * `--local-sweep` adds the sweep as a user types it (`npm run sweep:local`) with 1 and with all
 * cores, against numpy's sequential sweep, and 256 tiny experiments on all cores.
 */

import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { loadMnist, mnistDataDir } from "../scripts/load-mnist";
import { onParentDeath } from "../scripts/parent-watch";
import { dismissReaper } from "../scripts/process-reaper";
import { BOOK_WEIGHT_SCALES, EXPERIMENT_DEFAULTS } from "../src/experiment/config";
import { Experiment, type ExperimentResult } from "../src/experiment/experiment";
import { cpuModel } from "./cpu";
import { kernelFigures } from "./kernels";
import { type LocalSweepTiming, timeLocalSweep } from "./local-sweep";
import { networkBuildFigure } from "./network-build";
import { type Peer, startPeer } from "./peer";
import type { WorkerdTiming } from "./workerd/run-in-workerd";

// Its parent gone (npm killed), it exits: the reaper then ends every peer and server it started.
onParentDeath(() => process.exit(129));

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
/** `bn-sweep run` flags of 256 tiny experiments (issue #19's measure of the overhead per experiment). */
const TINY_SWEEP = [
  "--train-size",
  "200",
  "--test-size",
  "0",
  "--batch-size",
  "20",
  "--hidden",
  "16",
  "--epochs",
  "40",
  "--scale-range",
  "0,-4,256",
];

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

function sameLists(ours: Partial<Pick<ExperimentResult, "plain" | "batchNorm">>, theirs: NumpyExperiment): boolean {
  const eq = (a: number[] = [], b: number[]) => a.length === b.length && a.every((v, i) => v === b[i]);
  return eq(ours.plain, theirs.plain) && eq(ours.batchNorm, theirs.batchnorm);
}

const cpu = cpuModel();
log(`CPU: ${cpu} (lscpu), ${availableParallelism()} cores; Node ${process.version}`);
const data = loadMnist();
// Kernels and the network build first, before this process talks to any child: in Node 20 a
// detached ArrayBuffer makes every later typed-array access slower (see docs/performance.md).
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

log(`bench: seed ${SEED}, default experiment (20 epochs, both networks), median of ${runs} interleaved runs, one core each`);

/** The numpy peer (OPENBLAS_NUM_THREADS=1), or why it is missing. */
async function startNumpy(): Promise<Peer<{ numpy: string }, NumpyExperiment> | { missing: string }> {
  const script = fileURLToPath(new URL("numpy_reference.py", import.meta.url));
  // OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, where a machine sets them, slow OpenBLAS: unset for the peer only.
  const { OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE, ...env } = process.env;
  try {
    return await startPeer("python3", [script, "--mnist", mnistDataDir(), "--seed", String(SEED), "--serve"], {
      ...env,
      OPENBLAS_NUM_THREADS: "1",
      OMP_NUM_THREADS: "1",
      MKL_NUM_THREADS: "1",
    });
  } catch (e) {
    const reason = (e as Error).message;
    return {
      missing: /No module named 'numpy'/.test(reason) ? "numpy is not installed" : `the numpy peer did not run: ${reason}`,
    };
  }
}

/** Our engine in a Node process of its own (bench/node/main.ts). */
function startNode(): Promise<Peer<{ node: string }, WorkerdTiming>> {
  const script = fileURLToPath(new URL("node/main.ts", import.meta.url));
  return startPeer(process.execPath, ["--import", "tsx", script, "--seed", String(SEED)], process.env);
}

/** Our engine inside workerd as a peer (bench/workerd/main.ts), or why it is missing. */
async function startWorkerd(): Promise<Peer<unknown, WorkerdTiming> | { missing: string }> {
  if (flags["no-workerd"]) return { missing: "skipped (--no-workerd)" };
  const script = fileURLToPath(new URL("workerd/main.ts", import.meta.url));
  try {
    return await startPeer(process.execPath, ["--import", "tsx", script, "--seed", String(SEED)], {
      ...process.env,
      WRANGLER_SEND_METRICS: "false",
    });
  } catch (e) {
    return { missing: `workerd did not run: ${(e as Error).message}` };
  }
}

const nodePeer = await startNode();
const numpy = await startNumpy();
const workerd = await startWorkerd();
if ("missing" in numpy) log(`numpy: ${numpy.missing}; measuring our side only`);
if ("missing" in workerd) log(`workerd: ${workerd.missing}`);
const numpyPeer = "missing" in numpy ? undefined : numpy;
const workerdPeer = "missing" in workerd ? undefined : workerd;

/** Median of per-round ratios: each round's runs are back to back, so the machine's drift cancels. */
const medianRatio = (ours: number[], theirs: number[]) => median(ours.map((t, i) => t / theirs[i]));

// Round r runs each scale in Node, inside workerd and in numpy, one after the other.
const experiments = [];
for (const index of scaleIndices) {
  const node: number[] = [];
  const inWorkerd: number[] = [];
  const peer: number[] = [];
  let same: boolean | null = null;
  let sameWorkerd: boolean | null = null;
  for (let r = 0; r < runs; r++) {
    const ours = await nodePeer.ask(index);
    node.push(ours.seconds);
    const w = await workerdPeer?.ask(index);
    if (w) inWorkerd.push(w.seconds);
    const n = await numpyPeer?.ask(index);
    if (n) {
      peer.push(n.seconds);
      same = sameLists(ours.result, n);
      if (w) sameWorkerd = sameLists(w.result, n);
    }
  }
  const e = {
    index,
    scale: BOOK_WEIGHT_SCALES[index],
    oursSeconds: median(node),
    numpySeconds: numpyPeer ? median(peer) : null,
    ratio: numpyPeer ? medianRatio(node, peer) : null,
    sameLists: same,
    workerdSeconds: workerdPeer ? median(inWorkerd) : null,
    workerdRatio: workerdPeer && numpyPeer ? medianRatio(inWorkerd, peer) : null,
    workerdToNode: workerdPeer ? medianRatio(inWorkerd, node) : null,
    workerdSameLists: sameWorkerd,
  };
  experiments.push(e);
  const vsNumpy =
    e.numpySeconds === null ? "" : `  numpy ${e.numpySeconds.toFixed(3)} s  ratio ${e.ratio?.toFixed(2)}×  same lists: ${same}`;
  log(`scale ${String(index).padStart(2)} (${e.scale.toExponential(2)})  ours ${e.oursSeconds.toFixed(3)} s${vsNumpy}`);
  if (e.workerdSeconds !== null) {
    const ratio = e.workerdRatio === null ? "" : `  ratio ${e.workerdRatio.toFixed(2)}×  same lists: ${sameWorkerd}`;
    log(`          in workerd   ${e.workerdSeconds.toFixed(3)} s${ratio}  (${e.workerdToNode?.toFixed(3)}× Node)`);
  }
}
workerdPeer?.close();

let sweep: { oursSeconds: number; numpySeconds: number | null; ratio: number | null; sameLists: boolean | null } | null = null;
if (!flags["no-sweep"]) {
  // Each scale in Node then in numpy, so that both sums see the same spells of the machine.
  let oursSeconds = 0;
  let numpySeconds = 0;
  let same = true;
  for (const [index] of BOOK_WEIGHT_SCALES.entries()) {
    const ours = await nodePeer.ask(index);
    oursSeconds += ours.seconds;
    const n = await numpyPeer?.ask(index);
    if (n) {
      numpySeconds += n.seconds;
      same &&= sameLists(ours.result, n);
    }
  }
  sweep = numpyPeer
    ? { oursSeconds, numpySeconds, ratio: oursSeconds / numpySeconds, sameLists: same }
    : { oursSeconds, numpySeconds: null, ratio: null, sameLists: null };
  log(
    `full sweep, 16 scales: ours ${oursSeconds.toFixed(2)} s${numpyPeer ? `  numpy ${numpySeconds.toFixed(2)} s  ratio ${(sweep.ratio as number).toFixed(2)}×  same lists: ${same}` : ""}`,
  );
}

const localSweeps: (LocalSweepTiming & { ratio: number | null; sameLists: boolean | null })[] = [];
if (flags["local-sweep"]) {
  // As a user types it, from command to exit, against numpy's sequential sweep measured right
  // before it: each scale's run summed.
  for (const runners of [...new Set([1, availableParallelism()])]) {
    let numpySeconds: number | null = null;
    const peer: NumpyExperiment[] = [];
    if (numpyPeer) {
      for (const [index] of BOOK_WEIGHT_SCALES.entries()) peer.push(await numpyPeer.ask(index));
      numpySeconds = peer.reduce((sum, e) => sum + e.seconds, 0);
    }
    const timing = await timeLocalSweep(runners, SEED);
    const same = numpyPeer ? timing.experiments.every((e, i) => sameLists(e, peer[i])) : null;
    localSweeps.push({ ...timing, ratio: numpySeconds ? timing.seconds / numpySeconds : null, sameLists: same });
    const vsNumpy = numpySeconds
      ? `  numpy sequential ${numpySeconds.toFixed(1)} s  ratio ${(timing.seconds / numpySeconds).toFixed(2)}×  same lists: ${same}`
      : "";
    log(`local sweep, ${runners} runner workerd(s): ${timing.seconds.toFixed(1)} s from command to exit${vsNumpy}`);
    log(
      `  of which command to POST ${timing.toPostSeconds.toFixed(2)} s, POST to completed ${timing.postToDoneSeconds.toFixed(1)} s`,
    );
    log(
      `  resident memory at its peak: the server (host and workerds) ${timing.layoutPeakRssMb} MB (proportional set size ${timing.layoutPeakPssMb} MB); everything the command started ${timing.peakRssMb} MB (${timing.peakRssByProcess.map((p) => `${p.name} ${p.rssMb}`).join(", ")})`,
    );
    log(
      `  CPU share of the wall time during the sweep: ${timing.cpuShare.map((p) => `${p.name} ${(100 * p.share).toFixed(0)}%`).join(", ")}`,
    );
  }
}
if (flags["local-sweep"]) {
  // Many small experiments: what each costs beyond its training (issue #19: 256 in ≤ 15 s).
  const runners = availableParallelism();
  const tiny = await timeLocalSweep(runners, SEED, TINY_SWEEP);
  const each = (tiny.postToDoneSeconds * 1000 * runners) / 256;
  log(
    `local sweep of 256 tiny experiments (${TINY_SWEEP.join(" ")}), ${runners} runners: ${tiny.postToDoneSeconds.toFixed(1)} s from POST to completed, ${each.toFixed(0)} ms per experiment per runner`,
  );
  log(`  CPU share: ${tiny.cpuShare.map((p) => `${p.name} ${(100 * p.share).toFixed(0)}%`).join(", ")}`);
  localSweeps.push({ ...tiny, ratio: null, sameLists: null });
}
numpyPeer?.close();
nodePeer.close();

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
        cpu,
        numpy: "missing" in numpy ? { missing: numpy.missing } : { version: numpy.hello.numpy },
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
await dismissReaper();
