/**
 * `npm run test:chaos`: the local server killed with SIGKILL at three random moments of a sweep and
 * restarted on the same state; the sweep must end `completed` with the engine's lists. Then four
 * sweeps at once while polling: all must complete, with the 99th percentile of GET under 2 s. Then
 * the parent crashes: `npm start` killed with SIGKILL, its whole process group, its process alone
 * and npm alone, and npm alone sent SIGTERM; within 5 s nothing it started may be left, and its
 * port must be free; its script killed the moment its host runs (the host started early). Last,
 * one of its workerds killed: it must say so and exit within 5 s, leaving nothing.
 * Ends with a line `N passed, N failed`; exits 1 when a check failed.
 */

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Experiment } from "../src/experiment";
import { isFinalSweep, parseSweepConfig, type SweepRequest, type SweepView, sweepExperiments } from "../src/sweep";
import { type DevServer, healthy, startForScript, treeRssMb } from "./dev-server";
import { loadMnist } from "./load-mnist";
import { ROOT } from "./local-runners";

const CHAOS_SWEEP: SweepRequest = { weightScales: [1, 0.1, 0.01, 0.001], epochs: 60, trainSize: 1000, seed: 7 };
const CONCURRENT_SWEEP: SweepRequest = { weightScales: [0.1, 0.01], epochs: 6, trainSize: 300 };
const KILLS = 3;
const P99_LIMIT_MS = 2000;

let passed = 0;
let failed = 0;

function check(name: string, ok: boolean, detail = ""): void {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? "ok  " : "FAIL"} ${name}${detail ? `: ${detail}` : ""}`);
}

async function post(url: string, body: SweepRequest): Promise<string> {
  const res = await fetch(`${url}/api/sweeps`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (res.status !== 202) throw new Error(`POST answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

/** The sweep, or undefined while the server is down; with the request's time in ms. */
async function get(url: string, id: string): Promise<{ view?: SweepView; ms: number }> {
  const start = performance.now();
  try {
    const res = await fetch(`${url}/api/sweeps/${id}`);
    const view = res.ok ? ((await res.json()) as SweepView) : undefined;
    return { view, ms: performance.now() - start };
  } catch {
    return { ms: performance.now() - start };
  }
}

async function until(url: string, id: string, done: (v: SweepView) => boolean, timeoutMs: number): Promise<SweepView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { view } = await get(url, id);
    if (view && done(view)) return view;
    if (Date.now() > deadline) throw new Error(`sweep ${id} not done after ${timeoutMs} ms: ${view?.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Kills the whole server with SIGKILL at random moments while the sweep runs, restarting it on its state. */
async function chaos(): Promise<void> {
  const persistTo = mkdtempSync(join(tmpdir(), "bn-sweep-chaos-"));
  let server: DevServer = await startForScript({ persistTo });
  const { url } = server;
  const port = Number(new URL(url).port);
  try {
    const id = await post(url, CHAOS_SWEEP);
    let midRun = 0;
    for (let k = 1; k <= KILLS; k++) {
      // A random moment once the sweep has made progress since the last restart.
      await until(url, id, (v) => v.experiments.some((e) => e.epochsDone > 0) || isFinalSweep(v.status), 120_000);
      await new Promise((r) => setTimeout(r, 500 + Math.random() * 2500));
      const before = (await get(url, id)).view;
      if (before?.status === "running") midRun++;
      server.kill("SIGKILL");
      await new Promise((r) => setTimeout(r, 500));
      console.log(`kill ${k}: SIGKILL at ${before?.experiments.map((e) => e.epochsDone).join("/")} epochs; restarting`);
      server = await startForScript({ persistTo, port, registryPath: server.registryPath });
    }
    check(`all ${KILLS} kills came while the sweep ran`, midRun === KILLS, `${midRun} of ${KILLS}`);
    const done = await until(url, id, (v) => isFinalSweep(v.status), 300_000);
    check(`sweep killed ${KILLS} times ends completed`, done.status === "completed", done.status);
    const data = loadMnist();
    const experiments = sweepExperiments(parseSweepConfig(CHAOS_SWEEP, () => 0));
    const same = experiments.every(({ index, config }) => {
      const direct = new Experiment(config, data).run();
      const e = done.experiments[index];
      return JSON.stringify([e.plain, e.batchNorm]) === JSON.stringify([direct.plain, direct.batchNorm]);
    });
    check("its lists equal the engine's, run in Node", same);
  } finally {
    await server.stop();
    rmSync(persistTo, { recursive: true, force: true });
  }
}

/** Four sweeps at once while every one of them is polled; all complete and GET stays fast. */
async function concurrent(): Promise<void> {
  const server = await startForScript({});
  const times: number[] = [];
  try {
    const ids = await Promise.all([1, 2, 3, 4].map((seed) => post(server.url, { ...CONCURRENT_SWEEP, seed })));
    const final = new Map<string, SweepView>();
    const deadline = Date.now() + 300_000;
    while (final.size < ids.length && Date.now() < deadline) {
      for (const id of ids) {
        if (final.has(id)) continue;
        const { view, ms } = await get(server.url, id);
        times.push(ms);
        if (view && isFinalSweep(view.status)) final.set(id, view);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const statuses = ids.map((id) => final.get(id)?.status ?? "unfinished");
    check(
      "four sweeps at once all complete",
      statuses.every((s) => s === "completed"),
      statuses.join(", "),
    );
    times.sort((a, b) => a - b);
    const p99 = times[Math.min(times.length - 1, Math.floor(times.length * 0.99))];
    const p50 = times[Math.floor(times.length / 2)];
    check(
      `p99 of GET under ${P99_LIMIT_MS} ms while they run`,
      p99 < P99_LIMIT_MS,
      `${times.length} GETs, p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms`,
    );
  } finally {
    await server.stop();
  }
}

/** A process's command name and arguments, or undefined once it has ended (a short-lived child listed a moment before). */
function commandOf(pid: number): { comm: string; args: string[] } | undefined {
  try {
    const [comm, ...args] = execFileSync("ps", ["-o", "comm=,args=", "-p", String(pid)], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    })
      .trim()
      .split(/\s+/);
    return { comm, args };
  } catch {
    return undefined;
  }
}

/** Every process as `ps -e -o <fields>` lists it, each a row of its fields. */
function psRows(fields: string): string[][] {
  return execFileSync("ps", ["-e", "-o", fields], { encoding: "utf8" })
    .trim()
    .split("\n")
    .map((line) => line.trim().split(/\s+/));
}

/** Every live (not zombie) descendant of `pid`, by parent id: detached groups included. */
function descendants(pid: number): number[] {
  const rows = psRows("pid=,ppid=,stat=");
  const found: number[] = [];
  const todo = [pid];
  while (todo.length > 0) {
    const parent = todo.pop() as number;
    for (const [p, pp, stat] of rows) {
      if (Number(pp) === parent && !stat.startsWith("Z")) {
        found.push(Number(p));
        todo.push(Number(p));
      }
    }
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    const stat = execFileSync("ps", ["-o", "stat=", "-p", String(pid)], { encoding: "utf8" }).trim();
    return stat !== "" && !stat.startsWith("Z");
  } catch {
    return false;
  }
}

/** The local scripts' temporary folders now in the system's temporary folder. */
function scratchFolders(): Set<string> {
  return new Set(readdirSync(tmpdir()).filter((name) => name.startsWith("bn-sweep-")));
}

/** `npm start` with K runners on `port`, in its own process group; its stderr piped when asked. */
function npmStart(runners: number, port: number, stderr: "ignore" | "pipe" = "ignore"): ChildProcess {
  return spawn("npm", ["start", "--", "--runners", String(runners), "--port", String(port)], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "ignore", stderr],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
}

/** SIGKILL to each of `pids` still there: what a failed check left is not left to the next. */
function killAll(pids: number[]): void {
  for (const p of pids) {
    try {
      process.kill(p, "SIGKILL");
    } catch {
      // gone, as it should be
    }
  }
}

/**
 * `npm start` (K = 2 runner workerds, or one) killed, its whole process group, the script's own
 * process alone, or npm alone (SIGKILL sends its children nothing; SIGTERM, as a supervisor sends,
 * npm passes on), as the OOM killer, a lost terminal or a supervisor do: every process it started
 * must end within 5 s, its port be free and its temporary folders gone.
 */
async function parentCrash(
  runners: number,
  target: "group" | "process" | "npm",
  signal: NodeJS.Signals = "SIGKILL",
): Promise<void> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const foldersBefore = scratchFolders();
  const npm = npmStart(runners, port);
  const leader = npm.pid as number;
  const url = `http://127.0.0.1:${port}`;
  let started: number[] = [];
  try {
    const deadline = Date.now() + 90_000;
    while (!(await healthy(url)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    // Settled: every runner registered (npm start prints the layout once it is).
    await new Promise((r) => setTimeout(r, 2000));
    started = descendants(leader);
    const rss = treeRssMb(leader);
    if (target === "group") process.kill(-leader, signal);
    else if (target === "npm") process.kill(leader, signal);
    else {
      // The script itself (node, under npm), not the npm that started it.
      const node = started.find((p) => {
        const command = commandOf(p);
        return command?.comm === "node" && command.args.includes("scripts/start.ts");
      });
      process.kill(node ?? leader, signal);
    }
    await new Promise((r) => setTimeout(r, 5000));
    const left = started.filter(alive);
    check(
      `${signal} to npm start's ${{ group: "process group", process: "script process", npm: "npm process alone" }[target]} (${runners} runner${runners > 1 ? "s" : ""}) leaves no process after 5 s`,
      left.length === 0 && started.length > 3,
      `${started.length} processes (${rss} MB), ${left.length} left${left.length ? `: ${left.join(" ")}` : ""}`,
    );
    check(`its port ${port} is free`, !(await healthy(url)));
    const foldersLeft = [...scratchFolders()].filter((name) => !foldersBefore.has(name));
    check("its temporary folders are gone", foldersLeft.length === 0, foldersLeft.join(" "));
  } finally {
    killAll([leader, ...started]);
  }
}

/** Every live process of process group `group`. */
function groupMembers(group: number): number[] {
  return psRows("pid=,pgid=,stat=")
    .filter(([, pgid, stat]) => Number(pgid) === group && !stat.startsWith("Z"))
    .map(([pid]) => Number(pid));
}

/**
 * `npm start`'s script killed with SIGKILL the moment its host runs: started before the script
 * loaded (scripts/local/early-host.mjs), it waits for its start and is not yet the reaper's. It
 * must end with the script, before or after starting its workerds, within 5 s.
 */
async function startCrash(): Promise<void> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const foldersBefore = scratchFolders();
  const npm = npmStart(2, port);
  const leader = npm.pid as number;
  let started: number[] = [];
  let host: number | undefined;
  try {
    const deadline = Date.now() + 30_000;
    while (host === undefined && Date.now() < deadline) {
      started = descendants(leader);
      host = started.find((p) => commandOf(p)?.args.some((a) => a.endsWith("/host.mjs")));
      if (host === undefined) await new Promise((r) => setTimeout(r, 5));
    }
    const script = started.find((p) => commandOf(p)?.args.includes("scripts/start.ts"));
    const workerds = started.filter((p) => commandOf(p)?.comm === "workerd").length;
    process.kill(script ?? leader, "SIGKILL");
    await new Promise((r) => setTimeout(r, 5000));
    const left = [...new Set([...started.filter(alive), ...(host === undefined ? [] : groupMembers(host))])];
    check(
      "npm start's script killed with SIGKILL as its host starts leaves no process after 5 s",
      host !== undefined && script !== undefined && left.length === 0,
      `host ${host ?? "never seen"}, ${workerds} workerds then, ${left.length} processes left${left.length ? `: ${left.join(" ")}` : ""}`,
    );
    check(`its port ${port} is free`, !(await healthy(`http://127.0.0.1:${port}`)));
    const foldersLeft = [...scratchFolders()].filter((name) => !foldersBefore.has(name));
    check("its temporary folders are gone", foldersLeft.length === 0, foldersLeft.join(" "));
  } finally {
    killAll([leader, ...started, ...(host === undefined ? [] : groupMembers(host))]);
  }
}

/**
 * One workerd of `npm start` killed with SIGKILL: Miniflare does not watch its workerd once
 * started, the host does (scripts/local/host.ts); npm start must say so and exit non-zero within
 * 5 s, leaving nothing behind.
 */
async function workerdCrash(): Promise<void> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const npm = npmStart(2, port, "pipe");
  let output = "";
  npm.stderr?.on("data", (d: Buffer) => {
    output = (output + d).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => npm.on("exit", (code) => resolve(code)));
  const leader = npm.pid as number;
  let started: number[] = [];
  try {
    const deadline = Date.now() + 90_000;
    while (!(await healthy(`http://127.0.0.1:${port}`)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    await new Promise((r) => setTimeout(r, 2000));
    started = descendants(leader);
    const workerds = started.filter((p) => commandOf(p)?.comm === "workerd");
    process.kill(workerds[workerds.length - 1], "SIGKILL");
    const code = await Promise.race([exited, new Promise<"running">((r) => setTimeout(() => r("running"), 5000))]);
    const left = started.filter(alive);
    check(
      "one of its workerds killed: npm start says so and exits non-zero within 5 s, leaving no process",
      code !== "running" && code !== 0 && left.length === 0 && /the workerd of .* ended/.test(output),
      `exit ${code}, ${workerds.length} workerds, ${left.length} processes left`,
    );
  } finally {
    killAll([leader, ...started]);
  }
}

try {
  await chaos();
  await concurrent();
  await parentCrash(2, "group");
  await parentCrash(1, "process");
  await parentCrash(1, "npm");
  await parentCrash(1, "npm", "SIGTERM");
  await startCrash();
  await workerdCrash();
} catch (e) {
  check("the chaos run itself", false, (e as Error).message);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
