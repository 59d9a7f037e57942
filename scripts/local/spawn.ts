/** Starting the process of a local server: in its own process group, handed to the reaper, its output kept. */

import { type ChildProcess, spawn } from "node:child_process";
import { ROOT } from "../local-runners";
import { reapWithThisProcess } from "../process-reaper";

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

/** Starts `node args…` as worker `name`; `onOutput` sees its output as it comes. */
export function spawnProcess(
  name: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  onOutput?: (name: string, text: string) => void,
): Spawned {
  // Its own process group, so that a stop reaches wrangler's children (workerd, esbuild) too.
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  if (child.pid === undefined) throw new Error(`could not start ${name}`);
  // A detached group outlives this process's death by SIGKILL: the reaper ends it then.
  reapWithThisProcess(child.pid);
  let log = "";
  const take = (d: Buffer) => {
    log = (log + d).slice(-4000);
    onOutput?.(name, d.toString());
  };
  child.stdout?.on("data", take);
  child.stderr?.on("data", take);
  return { name, pid: child.pid, child, tail: () => log };
}
