/** Starts the local server on free ports: one `wrangler dev`, or a coordinator process and K runner processes. */

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { availableParallelism, constants, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { MAIN_WORKER, ROOT, writeLocalRunners } from "./local-runners";
import { dismissReaper, reapWithThisProcess } from "./process-reaper";

/**
 * A single process runs one experiment at a time: workerd runs every Durable Object on one thread,
 * and slices of many runners back to back leave HTTP requests waiting for minutes.
 */
export const LOCAL_VARS = ["--var", "MAX_PARALLEL_RUNNERS:1"];
/** Local runs on the loopback need no token: the committed configuration refuses mutations without one. */
export const OPEN_ON_LOOPBACK = ["--var", "ALLOW_OPEN_SERVER:true"];

/** Default number of processes that run experiments: one per core the machine gives this process. */
export const DEFAULT_RUNNERS = availableParallelism();

/** Whether `ip` only listens on this machine (the server may then be open). */
export function isLoopback(ip: string): boolean {
  return ip === "localhost" || ip.startsWith("127.") || ip === "::1" || ip === "[::1]";
}

/** One `wrangler dev` of a local server: its worker name and the id of its process group. */
export interface ServerProcess {
  name: string;
  pid: number;
}

/** A running local server and how to stop it. */
export interface DevServer {
  url: string;
  /** The main process first (it serves the API and runs the coordinators), then the runners. */
  processes: ServerProcess[];
  /**
   * The state directory, when not wrangler's default: pass it as `persistTo` to restart on the same
   * state. The main process keeps its state here as a single process would, runner i under `bn-sweep-runner-i/`.
   */
  persistTo: string | undefined;
  /** The dev registry of a multi-process server: pass it as `registryPath` to restart. */
  registryPath: string | undefined;
  /** Resolves with the first process that exits on its own (not by {@link stop} or {@link kill}). */
  exited: Promise<ServerProcess>;
  /** Resident memory of each process and its children now, in MB. */
  memory(): (ServerProcess & { rssMb: number })[];
  /** Stops every process group, then removes the temporary directories this server created. */
  stop(): Promise<void>;
  /** Sends `signal` to every process group and cleans nothing up (a crash, for a restart on the same state). */
  kill(signal: NodeJS.Signals): void;
}

/** Options of {@link startDevServer}. */
export interface DevServerOptions {
  /** Keep state in wrangler's usual folder (.wrangler/state) instead of a fresh temporary one. */
  persistent?: boolean;
  /** Keep state here (kept on stop): a restart after {@link DevServer.kill} reuses it. Wins over `persistent`. */
  persistTo?: string;
  timeoutMs?: number;
  /**
   * Processes that run experiments. 1: one `wrangler dev` on the committed wrangler.toml that runs
   * everything, one experiment at a time. K > 1: K runner processes, each running one experiment
   * at a time, and a main process for the API and the coordinators (see local-runners.ts).
   */
  runners?: number;
  /** The dev registry the K + 1 processes share (default: a fresh one, private to this run). */
  registryPath?: string;
  /** Port of the main process (default: a free one). */
  port?: number;
  /** Address of the main process (default 127.0.0.1); beyond the loopback mutations need SWEEP_TOKEN. */
  ip?: string;
  /** Variables set on every process, over wrangler.toml's. */
  vars?: Record<string, string>;
  /** More `wrangler dev` flags, for the main process. */
  args?: string[];
  /** Each process's output as it comes (by default it is kept only for the error of a failed start). */
  onOutput?: (name: string, text: string) => void;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** Resident memory of process `pid` and all its descendants, in MB (from `ps`). */
export function treeRssMb(pid: number): number {
  const rows = execFileSync("ps", ["-e", "-o", "pid=,ppid=,rss="], { encoding: "utf8" })
    .trim()
    .split("\n")
    .map((line) => line.trim().split(/\s+/).map(Number));
  const children = new Map<number, number[]>();
  const rss = new Map<number, number>();
  for (const [p, parent, kb] of rows) {
    rss.set(p, kb);
    children.set(parent, [...(children.get(parent) ?? []), p]);
  }
  let kb = 0;
  const todo = [pid];
  while (todo.length > 0) {
    const p = todo.pop() as number;
    kb += rss.get(p) ?? 0;
    todo.push(...(children.get(p) ?? []));
  }
  return Math.round(kb / 1024);
}

/** Whether a process group still has a live (not zombie) member. */
function groupAlive(pgid: number): boolean {
  const rows = execFileSync("ps", ["-e", "-o", "pgid=,stat="], { encoding: "utf8" }).trim().split("\n");
  return rows.some((row) => {
    const [group, stat] = row.trim().split(/\s+/);
    return Number(group) === pgid && !stat.startsWith("Z");
  });
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // the group is gone already
  }
}

/** A server started or starting and not stopped: how to stop it, and how to end it synchronously. */
interface Unstopped {
  stop(): Promise<void>;
  abandon(): void;
}

/** The last resort below ends these whichever way this process exits: the groups are detached and would outlive it. */
const unstopped = new Set<Unstopped>();
/** Starts under way, which a signal's handler waits for (they clean up after themselves). */
const starts = new Set<Promise<unknown>>();
process.on("exit", () => {
  for (const server of unstopped) server.abandon();
});

/** wrangler's own entry: started by node directly, each process saves the ~65 MB of an `npm exec`. */
const WRANGLER_BIN = join(dirname(createRequire(import.meta.url).resolve("wrangler/package.json")), "bin", "wrangler.js");

interface Spawned extends ServerProcess {
  child: ChildProcess;
  /** The end of its output, for the error of a failed start. */
  tail(): string;
}

function spawnProcess(name: string, command: string, args: string[], env: NodeJS.ProcessEnv, opts: DevServerOptions): Spawned {
  // Its own process group, so that a stop reaches wrangler's children (workerd, esbuild) too.
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  if (child.pid === undefined) throw new Error(`could not start ${command} for ${name}`);
  // A detached group outlives this process's death by SIGKILL: the reaper ends it then.
  reapWithThisProcess(child.pid);
  let log = "";
  const take = (d: Buffer) => {
    log = (log + d).slice(-4000);
    opts.onOutput?.(name, d.toString());
  };
  child.stdout?.on("data", take);
  child.stderr?.on("data", take);
  return { name, pid: child.pid, child, tail: () => log };
}

/** Whether the server at `url` answers /healthz. */
export async function healthy(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/healthz`)).ok;
  } catch {
    return false;
  }
}

/** Where this machine reaches a server listening on `ip` (every address: the loopback). */
export function localUrl(ip: string, port: number | string): string {
  if (ip === "0.0.0.0" || ip === "::" || ip === "[::]") return `http://127.0.0.1:${port}`;
  return `http://${ip.includes(":") && !ip.startsWith("[") ? `[${ip}]` : ip}:${port}`;
}

/**
 * Starts the server and resolves once it can run sweeps: the main process's /healthz answers and,
 * with K > 1, every process has registered in the dev registry (until then, calls to it fail with
 * `Worker "<name>" not found`). Rejects after `timeoutMs`, or if a process exits, having stopped the rest.
 */
export function startDevServer(opts: DevServerOptions = {}): Promise<DevServer> {
  const start = startProcesses(opts);
  starts.add(start);
  return start.finally(() => starts.delete(start));
}

/** Launches one process of the server (refused once the server is being stopped). */
type Launch = (name: string, command: string, args: string[], env: NodeJS.ProcessEnv) => void;

async function startProcesses(opts: DevServerOptions): Promise<DevServer> {
  const { persistent = false, timeoutMs = 90_000, runners = DEFAULT_RUNNERS, ip = "127.0.0.1" } = opts;
  if (!Number.isInteger(runners) || runners < 1) throw new Error(`runners must be a whole number ≥ 1, not ${runners}`);
  const port = opts.port ?? (await freePort());
  const url = localUrl(ip, port);
  const procs: Spawned[] = [];
  const owned: string[] = [];
  let ending = false;
  const kill = (signal: NodeJS.Signals) => {
    ending = true;
    for (const p of procs) signalGroup(p.pid, signal);
  };
  const removeOwned = () => {
    for (const dir of owned) rmSync(dir, { recursive: true, force: true });
  };
  const handle: Unstopped = {
    async stop() {
      kill("SIGTERM");
      const deadline = Date.now() + 10_000;
      const alive = () => procs.some((p) => groupAlive(p.pid));
      while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      if (alive()) kill("SIGKILL");
      removeOwned();
      unstopped.delete(handle);
    },
    abandon() {
      kill("SIGTERM");
      removeOwned();
    },
  };
  unstopped.add(handle);
  const launch: Launch = (name, command, args, env) => {
    if (ending) throw new Error("stopped while starting");
    procs.push(spawnProcess(name, command, args, env, opts));
  };
  const scratch = (prefix: string) => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    owned.push(dir);
    return dir;
  };
  try {
    const persistTo =
      opts.persistTo ?? (persistent ? (runners > 1 ? join(ROOT, ".wrangler", "state") : undefined) : scratch("bn-sweep-"));
    const registryPath =
      runners === 1
        ? spawnSingle(launch, port, ip, persistTo, opts)
        : await spawnLayout(launch, port, ip, persistTo, scratch, opts);
    const exited = new Promise<ServerProcess>((resolve) => {
      for (const { name, pid, child } of procs) child.on("exit", () => ending || resolve({ name, pid }));
    });
    const server: DevServer = {
      url,
      processes: procs.map(({ name, pid }) => ({ name, pid })),
      exited,
      persistTo,
      registryPath,
      memory: () => procs.map(({ name, pid }) => ({ name, pid, rssMb: treeRssMb(pid) })),
      stop: handle.stop,
      kill,
    };
    const registered = () => !registryPath || procs.every((p) => existsSync(join(registryPath, p.name)));
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (ending) throw new Error("stopped while starting");
      const gone = procs.find((p) => p.child.exitCode !== null || p.child.signalCode !== null);
      if (gone) throw new Error(`${gone.name} exited`);
      if (registered() && (await healthy(url))) return server;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`not up within ${timeoutMs} ms`);
  } catch (e) {
    await handle.stop();
    const tails = procs.map((p) => `--- ${p.name}\n${p.tail().slice(-2000)}`).join("\n");
    throw new Error(`local server on ${url}: ${(e as Error).message}\n${tails}`);
  }
}

const devFlags = (port: number, ip: string) => ["--port", String(port), "--ip", ip, "--inspector-port", "0"];
const persistFlags = (persistTo: string | undefined) => (persistTo ? ["--persist-to", persistTo] : []);

/** Today's single process: `wrangler dev` on the committed wrangler.toml, one experiment at a time. */
function spawnSingle(launch: Launch, port: number, ip: string, persistTo: string | undefined, opts: DevServerOptions): undefined {
  const vars = Object.entries(opts.vars ?? {}).flatMap(([k, v]) => ["--var", `${k}:${v}`]);
  const args = ["wrangler", "dev", ...devFlags(port, ip), ...LOCAL_VARS, ...(isLoopback(ip) ? OPEN_ON_LOOPBACK : []), ...vars];
  const env = { ...process.env, WRANGLER_SEND_METRICS: "false" };
  launch(MAIN_WORKER, "npx", [...args, ...persistFlags(persistTo), ...(opts.args ?? [])], env);
}

/** The main process and K runner processes (local-runners.ts), started together; returns their registry. */
async function spawnLayout(
  launch: Launch,
  port: number,
  ip: string,
  persistTo: string | undefined,
  scratch: (prefix: string) => string,
  opts: DevServerOptions,
): Promise<string> {
  const configs = scratch("bn-sweep-runners-");
  const registryPath = opts.registryPath ?? join(configs, "registry");
  const runners = opts.runners ?? DEFAULT_RUNNERS;
  const layout = await writeLocalRunners({ runners, dir: configs, open: isLoopback(ip), vars: opts.vars });
  // An entry left by a killed process names a dead port: removed, the new process's own entry tells readiness.
  for (const p of [layout.main, ...layout.runners]) rmSync(join(registryPath, p.name), { force: true });
  const env = { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_REGISTRY_PATH: registryPath };
  const dev = (config: string, p: number, address: string) => [WRANGLER_BIN, "dev", "-c", config, ...devFlags(p, address)];
  launch(
    layout.main.name,
    process.execPath,
    [...dev(layout.main.config, port, ip), ...persistFlags(persistTo), ...(opts.args ?? [])],
    env,
  );
  // The main process keeps the single process's layout (its sweeps and results are the same either
  // way); each runner has a folder of its own: every workerd opens the cache's SQLite file under its
  // persist folder as it starts, and two starting on one file at once failed with SQLITE_BUSY.
  for (const r of layout.runners) {
    const state = persistTo === undefined ? undefined : join(persistTo, r.name);
    launch(r.name, process.execPath, [...dev(r.config, await freePort(), "127.0.0.1"), ...persistFlags(state)], env);
  }
  return registryPath;
}

/** Every `--name value` or `--name=value` taken out of `args`: their values in order, and the other flags. */
export function takeFlag(args: readonly string[], name: string): { values: string[]; rest: string[] } {
  const values: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === name && i + 1 < args.length) values.push(args[++i]);
    else if (args[i].startsWith(`${name}=`)) values.push(args[i].slice(name.length + 1));
    else rest.push(args[i]);
  }
  return { values, rest };
}

/** The value of `--runners`: a whole number ≥ 1, by default one per core. */
export function parseRunners(value: string | undefined): number {
  if (value === undefined) return DEFAULT_RUNNERS;
  const k = Number(value);
  if (!Number.isInteger(k) || k < 1) throw new Error(`--runners must be a whole number ≥ 1, not ${value}`);
  return k;
}

/** What a script prints once the server is up: K, each process with its memory now, and who may mutate. */
export function describeServer(url: string, runners: number, ip: string, memory: (ServerProcess & { rssMb: number })[]): string {
  const layout =
    runners === 1
      ? "1 process runs the API and every experiment, one at a time"
      : `${runners} runner processes run one experiment each at a time; ${MAIN_WORKER} serves the API and the coordinators`;
  const access = isLoopback(ip)
    ? "open on the loopback: starting, cancelling and retrying need no token"
    : `listening on ${ip}: mutations need SWEEP_TOKEN (set it in .dev.vars), as when deployed`;
  const lines = memory.map((p) => `  ${p.name} (pid ${p.pid}): ${p.rssMb} MB resident`);
  return [`bn-sweep on ${url}: ${layout}`, ...lines, `bn-sweep: ${access}`].join("\n");
}

let handlersInstalled = false;
let interrupted = false;

/** Ctrl-C, SIGTERM or SIGHUP: every server, started or starting, is stopped before this process exits. */
function stopAllOnSignals(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    // Once: a second Ctrl-C exits at once, the last resort above still signalling every group.
    process.once(signal, async () => {
      interrupted = true;
      await Promise.allSettled([...unstopped].map((server) => server.stop()));
      await Promise.allSettled([...starts]);
      await dismissReaper();
      process.exit(128 + constants.signals[signal]);
    });
  }
}

/**
 * {@link startDevServer} for a script that runs until it is done or interrupted: an interruption
 * stops every process group (those still starting too), cleans up and exits.
 */
export async function startForScript(opts: DevServerOptions): Promise<DevServer> {
  stopAllOnSignals();
  try {
    return await startDevServer(opts);
  } catch (e) {
    // Stopped by an interruption: its handler exits once every server is stopped.
    if (interrupted) await new Promise<never>(() => {});
    throw e;
  }
}
