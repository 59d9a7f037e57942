/**
 * Starts the local server on free ports: a main workerd that serves the API and runs the
 * coordinators, and, with K > 1, K runner workerds (scripts/local-runners.ts lays them out), all
 * hosted by one Node process (scripts/local/host.ts). One launch path for every K: K = 1 is the
 * main workerd running experiments itself. Its parts: ports and health (local/ports.ts), starting
 * the host (local/spawn.ts; started early, local/early-host.mjs), `ps` (local/process-tree.ts),
 * flags (local/server-flags.ts), what is printed (local/describe.ts).
 */

import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { constants, tmpdir } from "node:os";
import { join } from "node:path";
import { buildLocal } from "./local/build";
import { freePort, healthy, isLoopback, localUrl } from "./local/ports";
import { groupAlive, processTree, signalGroup } from "./local/process-tree";
import { DEFAULT_RUNNERS } from "./local/server-flags";
import { type ServerProcess, type Spawned, startHost } from "./local/spawn";
import { localLayout, ROOT } from "./local-runners";
import { onParentDeath } from "./parent-watch";
import { dismissReaper, reapFolderWithThisProcess } from "./process-reaper";

export { describeServer } from "./local/describe";
export { healthy } from "./local/ports";
export { processTree, treeRssMb } from "./local/process-tree";
export { DEFAULT_RUNNERS, serverFlags } from "./local/server-flags";
export type { ServerProcess } from "./local/spawn";

/** A running local server and how to stop it. */
export interface DevServer {
  url: string;
  /** The host process (every workerd is its child): the one process group to signal. */
  processes: ServerProcess[];
  /**
   * The state directory, when not wrangler's default: pass it as `persistTo` to restart on the same
   * state. The main process keeps its state here, runner i under `bn-sweep-runner-i/`.
   */
  persistTo: string | undefined;
  /** The dev registry of the server's processes: pass it as `registryPath` to restart. */
  registryPath: string;
  /** Resolves with the first process that exits on its own (not by {@link stop} or {@link kill}). */
  exited: Promise<ServerProcess>;
  /** Resident memory of the host and of each workerd now, in MB. */
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
  /** Processes that run experiments: 1 is the main process itself, one experiment at a time; K > 1 are K runner processes. */
  runners?: number;
  /** The dev registry the processes share (default: a fresh one, private to this run). */
  registryPath?: string;
  /** Port of the main process (default: a free one). */
  port?: number;
  /** Address of the main process (default 127.0.0.1); beyond the loopback every API route needs SWEEP_TOKEN. */
  ip?: string;
  /** Variables set on every process, over wrangler.toml's. */
  vars?: Record<string, string>;
  /** Each process's output as it comes (by default it is kept only for the error of a failed start). */
  onOutput?: (name: string, text: string) => void;
}

/** A server started or starting and not stopped: how to stop it, and how to end it synchronously. */
interface Unstopped {
  stop(): Promise<void>;
  abandon(): void;
}

/** Ended whichever way this process exits in order (a crash is the reaper's: process-reaper.ts). */
const unstopped = new Set<Unstopped>();
/** Starts under way, which a signal's handler waits for (they clean up after themselves). */
const starts = new Set<Promise<unknown>>();
process.on("exit", () => {
  for (const server of unstopped) server.abandon();
});

/**
 * Starts the server and resolves once it can run sweeps: the main process's /healthz answers and
 * every process has registered in the dev registry (until then, calls to it fail with
 * `Worker "<name>" not found`). Rejects after `timeoutMs`, or if a process exits, having stopped the rest.
 */
export function startDevServer(opts: DevServerOptions = {}): Promise<DevServer> {
  const start = startProcesses(opts);
  starts.add(start);
  return start.finally(() => starts.delete(start));
}

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
  const handle: Unstopped = {
    async stop() {
      kill("SIGTERM");
      const deadline = Date.now() + 10_000;
      const alive = () => procs.some((p) => groupAlive(p.pid));
      while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      if (alive()) kill("SIGKILL");
      for (const dir of owned) rmSync(dir, { recursive: true, force: true });
      unstopped.delete(handle);
    },
    abandon() {
      kill("SIGTERM");
      for (const dir of owned) rmSync(dir, { recursive: true, force: true });
    },
  };
  unstopped.add(handle);
  const scratch = (prefix: string) => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    owned.push(dir);
    // Removed by stop(), or by the reaper if this process is killed before it can.
    reapFolderWithThisProcess(dir);
    return dir;
  };
  try {
    const persistTo = opts.persistTo ?? (persistent ? join(ROOT, ".wrangler", "state") : scratch("bn-sweep-"));
    const configs = scratch("bn-sweep-layout-");
    const registryPath = opts.registryPath ?? join(configs, "registry");
    const layout = await localLayout({ runners, ip, port, persistTo, open: isLoopback(ip), vars: opts.vars });
    const names = [layout.main, ...layout.runners].map((p) => p.name);
    // An entry left by a killed process names a dead port: removed, the new process's own entry tells readiness.
    for (const name of names) rmSync(join(registryPath, name), { force: true });
    if (ending) throw new Error("stopped while starting");
    const layoutFile = join(configs, "layout.json");
    writeFileSync(layoutFile, JSON.stringify(layout));
    const built = await buildLocal(ROOT, layout.entry, layout.define);
    if (ending) throw new Error("stopped while starting");
    procs.push(startHost(built.host, { layout: layoutFile, worker: built.worker, registryPath }, opts.onOutput));
    const exited = new Promise<ServerProcess>((resolve) => {
      for (const { name, pid, child } of procs) child.on("exit", () => ending || resolve({ name, pid }));
    });
    const [host] = procs;
    const server: DevServer = {
      url,
      processes: procs.map(({ name, pid }) => ({ name, pid })),
      exited,
      persistTo,
      registryPath,
      // The host first, then its workerds (which is which, Miniflare does not tell).
      memory: () =>
        processTree(host.pid).map((p, i) => ({ name: i === 0 ? "host (Node)" : p.command, pid: p.pid, rssMb: p.rssMb })),
      stop: handle.stop,
      kill,
    };
    const registered = () => names.every((name) => existsSync(join(registryPath, name)));
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (ending) throw new Error("stopped while starting");
      const gone = procs.find((p) => p.child.exitCode !== null || p.child.signalCode !== null);
      if (gone) throw new Error(`${gone.name} exited`);
      if (registered() && (await healthy(url))) return server;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`not up within ${timeoutMs} ms`);
  } catch (e) {
    await handle.stop();
    const tails = procs.map((p) => `--- ${p.name}\n${p.tail().slice(-2000)}`).join("\n");
    throw new Error(`local server on ${url}: ${(e as Error).message}\n${tails}`);
  }
}

let handlersInstalled = false;
let interrupted = false;

/**
 * Ctrl-C, SIGTERM or SIGHUP, or the death of the process that started this script (npm killed
 * with SIGKILL sends nothing; this process is then handed to another parent): every server,
 * started or starting, is stopped before this process exits.
 */
/** A signal this soon after the first is the same interruption delivered twice (see stopAllOnSignals). */
const REPEAT_SIGNAL_MS = 1000;

function stopAllOnSignals(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const stopAll = async (signal: "SIGINT" | "SIGTERM" | "SIGHUP") => {
    if (interrupted) return;
    interrupted = true;
    await Promise.allSettled([...unstopped].map((server) => server.stop()));
    await Promise.allSettled([...starts]);
    await dismissReaper();
    process.exit(128 + constants.signals[signal]);
  };
  let firstAt = 0;
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => {
      if (!interrupted) {
        firstAt = Date.now();
        void stopAll(signal);
        return;
      }
      // npm passes a terminal's Ctrl-C on to the script it runs, which the terminal signals too: a
      // repeat within a second is that echo. A later one exits at once, the reaper ending every group.
      if (Date.now() - firstAt > REPEAT_SIGNAL_MS) process.exit(128 + constants.signals[signal]);
    });
  }
  onParentDeath(() => {
    firstAt = Date.now();
    void stopAll("SIGHUP");
  });
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
