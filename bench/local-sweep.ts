/**
 * The local sweep as a user types it, `npm run sweep:local -- --seed S --runners K`, timed from
 * command to exit, with the moment of its POST (the CLI's "started sweep" line), the resident
 * memory of every process it started at its peak, and each process's CPU time as a share of the
 * wall time from POST to the last line (`/proc/<pid>/stat`, sampled every 200 ms).
 */

import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { processTree, type TreeProcess } from "../scripts/local/process-tree";
import { ROOT } from "../scripts/local-runners";
import { reapWithThisProcess } from "../scripts/process-reaper";
import type { SweepView } from "../src/sweep";
import type { ExperimentView } from "../src/sweep/view";

/** One timed local sweep. */
export interface LocalSweepTiming {
  runners: number;
  seconds: number;
  toPostSeconds: number;
  postToDoneSeconds: number;
  peakRssMb: number;
  /** The server alone (the host and its workerds), at its own peak. */
  layoutPeakRssMb: number;
  /**
   * The same as proportional set size: a page mapped by several processes (the workerd binary by
   * three, Node's by the host, the script, npm and the bench) divided among them, not counted
   * whole in each. Sampled once a second near the peak: a lower bound of the peak.
   */
  layoutPeakPssMb: number;
  peakRssByProcess: { name: string; rssMb: number }[];
  cpuShare: { name: string; share: number }[];
  experiments: ExperimentView[];
}

/** Clock ticks of CPU (user + system) a process has used, or undefined once it is gone. */
function cpuTicks(pid: number): number | undefined {
  try {
    // Fields after the command's closing parenthesis: state is the 3rd field, utime the 14th, stime the 15th.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

/** Proportional set size of a process in MB (its share of every page it maps), 0 once it is gone. */
function pssMb(pid: number): number {
  try {
    const kb = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"))?.[1];
    return Math.round(Number(kb ?? 0) / 1024);
  } catch {
    return 0;
  }
}

/** What a process of the tree is, from its command's name and line; undefined once it is gone or ending (no command line). */
function label({ pid, command }: TreeProcess, mainPort: string | undefined): string | undefined {
  let args = "";
  try {
    args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
  } catch {
    return undefined;
  }
  if (args === "") return undefined;
  if (command === "workerd") return mainPort && args.includes(`:${mainPort} `) ? "workerd main" : `workerd runner ${pid}`;
  if (args.includes("host.mjs")) return "host (Node)";
  if (args.includes("bn-sweep.js")) return "bn-sweep CLI";
  if (args.includes("local-sweep.ts")) return "sweep:local script";
  if (args.includes("reaper.sh")) return "reaper";
  if (args.startsWith("npm") || args.includes("npm-cli")) return "npm";
  return args.split(" ")[0].split("/").at(-1) ?? "";
}

const CLOCK_TICKS_PER_SECOND = 100;

/** Runs the book's 16-scale sweep with `seed` through `npm run sweep:local` on `runners` workerds. */
export async function timeLocalSweep(runners: number, seed: number, more: string[] = []): Promise<LocalSweepTiming> {
  const start = performance.now();
  const child = spawn("npm", ["run", "-s", "sweep:local", "--", "--seed", String(seed), "--runners", String(runners), ...more], {
    cwd: ROOT,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  if (child.pid === undefined) throw new Error("npm run sweep:local did not start");
  reapWithThisProcess(child.pid);
  const root = child.pid;
  let mainPort: string | undefined;
  let postAt: number | undefined;
  let doneAt: number | undefined;
  let id: string | undefined;
  let output = "";
  const cpuAtPost = new Map<number, number>();
  const cpuLast = new Map<number, number>();
  const names = new Map<number, string>();
  let peakTree: { pid: number; rssMb: number }[] = [];
  let peakRssMb = 0;
  let layoutPeakRssMb = 0;
  let layoutPeakPssMb = 0;
  let samples = 0;
  const sample = () => {
    const tree = processTree(root);
    const rss = tree.reduce((sum, p) => sum + p.rssMb, 0);
    if (rss > peakRssMb) {
      peakRssMb = rss;
      peakTree = tree;
    }
    const layout = tree.filter((p) => p.command === "workerd" || names.get(p.pid) === "host (Node)");
    const layoutRss = layout.reduce((sum, p) => sum + p.rssMb, 0);
    // Read only near the peak and once a second: smaps_rollup walks every mapping of a process,
    // CPU taken from the sweep being measured.
    if (layoutRss > layoutPeakRssMb - 50 && samples++ % 5 === 0) {
      layoutPeakPssMb = Math.max(
        layoutPeakPssMb,
        layout.reduce((sum, p) => sum + pssMb(p.pid), 0),
      );
    }
    layoutPeakRssMb = Math.max(layoutPeakRssMb, layoutRss);
    for (const p of tree) {
      // Named at every sample: a child caught between fork and exec shows its parent's command
      // line (a workerd read as the host), and the main workerd is known once its port is.
      const name = label(p, mainPort);
      if (name !== undefined) names.set(p.pid, name);
      const ticks = cpuTicks(p.pid);
      if (ticks === undefined) continue;
      if (postAt !== undefined && doneAt === undefined && !cpuAtPost.has(p.pid)) cpuAtPost.set(p.pid, ticks);
      if (doneAt === undefined) cpuLast.set(p.pid, ticks);
    }
  };
  const timer = setInterval(sample, 200);
  const watch = (stream: NodeJS.ReadableStream) =>
    createInterface({ input: stream }).on("line", (line) => {
      output = `${output}${line}\n`.slice(-4000);
      mainPort ??= /bn-sweep on http:\/\/[^:]+:(\d+)/.exec(line)?.[1];
      const started = /^started sweep (\S+)/.exec(line);
      if (started) {
        postAt = performance.now();
        id = started[1];
        sample();
      }
      if (/^sweep \S+ (completed|failed|cancelled)/.test(line)) {
        sample();
        doneAt = performance.now();
      }
    });
  watch(child.stdout);
  watch(child.stderr);
  const code = await new Promise<number>((resolve) => child.on("exit", (c) => resolve(c ?? 1)));
  clearInterval(timer);
  const end = performance.now();
  if (code !== 0 || postAt === undefined || doneAt === undefined || id === undefined) {
    throw new Error(`npm run sweep:local exited with ${code}:\n${output}`);
  }
  const wall = (doneAt - postAt) / 1000;
  const byName = new Map<string, number>();
  const runnerPids = [...names].filter(([, name]) => name.startsWith("workerd runner")).map(([pid]) => pid);
  const nameOf = (pid: number) => {
    const runner = runnerPids.indexOf(pid);
    return runner >= 0 ? `workerd runner ${runner + 1}` : (names.get(pid) ?? `${pid}`);
  };
  for (const [pid, last] of cpuLast) {
    const name = nameOf(pid);
    const used = (last - (cpuAtPost.get(pid) ?? last)) / CLOCK_TICKS_PER_SECOND;
    byName.set(name, (byName.get(name) ?? 0) + used);
  }
  const view = JSON.parse(readFileSync(join(ROOT, "results", id, "results.json"), "utf8")) as SweepView;
  return {
    runners,
    seconds: (end - start) / 1000,
    toPostSeconds: (postAt - start) / 1000,
    postToDoneSeconds: wall,
    peakRssMb,
    layoutPeakRssMb,
    layoutPeakPssMb,
    peakRssByProcess: peakTree.filter((p) => p.rssMb > 4).map((p) => ({ name: nameOf(p.pid), rssMb: p.rssMb })),
    cpuShare: [...byName].map(([name, seconds]) => ({ name, share: seconds / wall })).filter((p) => p.share >= 0.005),
    experiments: view.experiments,
  };
}
