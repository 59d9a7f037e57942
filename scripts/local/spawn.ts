/** Starting the local server's host process: in its own process group, handed to the reaper, its output kept. */

import type { ChildProcess } from "node:child_process";
import { reapWithThisProcess } from "../process-reaper";
import { spawnHostProcess, takeEarlyHost } from "./early-host.mjs";

/** One process of a local server: its name and the id of its process group. */
export interface ServerProcess {
  name: string;
  pid: number;
}

/** A started process, with the end of its output for the error of a failed start. */
export interface Spawned extends ServerProcess {
  child: ChildProcess;
  tail(): string;
}

/** What the host is told on its stdin, as one JSON line, to start its workerds (scripts/local/host.ts). */
export interface HostStart {
  /** The layout (scripts/local-runners.ts) as a JSON file. */
  layout: string;
  /** The built Worker. */
  worker: string;
  /** The dev registry its workerds share. */
  registryPath: string;
}

/**
 * Starts the host built at `file` (the one started early, if it runs this build) and tells it
 * `start`; `onOutput` sees its output as it comes.
 */
export function startHost(file: string, start: HostStart, onOutput?: (name: string, text: string) => void): Spawned {
  const name = "host";
  const child = takeEarlyHost(file) ?? spawnHostProcess(file);
  if (child.pid === undefined) throw new Error(`could not start ${name}`);
  // A detached group outlives this process's death by SIGKILL: the reaper ends it then.
  reapWithThisProcess(child.pid);
  let log = "";
  const take = (d: Buffer) => {
    log = (log + d).slice(-4000);
    onOutput?.(name, d.toString());
  };
  child.stdout.on("data", take);
  child.stderr.on("data", take);
  child.stdin.write(`${JSON.stringify(start)}\n`);
  return { name, pid: child.pid, child, tail: () => log };
}
