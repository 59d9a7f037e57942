/**
 * Nothing a script starts outlives it. Every process group a script starts is handed to one
 * reaper (scripts/reaper.sh), a detached bash process that reads the groups on a pipe from the
 * script: when the pipe ends without a goodbye (the script died, whatever the signal) it ends every
 * group, TERM then KILL, then removes the script's temporary folders; when a group's leader dies it
 * kills the rest of that group at once.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const REAPER = join(dirname(fileURLToPath(import.meta.url)), "reaper.sh");

let reaper: ChildProcess | undefined;

function started(): ChildProcess {
  if (reaper) return reaper;
  reaper = spawn("bash", [REAPER], { stdio: ["pipe", "ignore", "ignore"], detached: true });
  // Neither it nor its pipe keeps this process alive; the pipe ends with this process.
  reaper.unref();
  (reaper.stdin as unknown as { unref(): void }).unref();
  return reaper;
}

/**
 * Hands a detached child's process group to the reaper: it is ended when this process dies, and
 * the rest of it killed when the child dies.
 */
export function reapWithThisProcess(child: number): void {
  started().stdin?.write(`${child} ${child}\n`);
}

/** Hands a temporary folder this process made to the reaper: removed if this process dies first. */
export function reapFolderWithThisProcess(dir: string): void {
  started().stdin?.write(`dir ${dir}\n`);
}

/**
 * This process is exiting in order, its processes stopped: the reaper leaves everything alone
 * (a process group id it holds may belong to another process by then). Resolves once it has been told.
 */
export function dismissReaper(): Promise<void> {
  const stdin = reaper?.stdin;
  reaper = undefined;
  if (!stdin || stdin.destroyed) return Promise.resolve();
  return new Promise((resolve) => stdin.end("bye\n", () => resolve()));
}
