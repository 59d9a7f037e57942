/** What `ps` says of a local server's processes: memory of a tree, whether a group lives, and signals to groups. */

import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";

/** One process of a tree: its command's name and resident memory in MB. */
export interface TreeProcess {
  pid: number;
  command: string;
  rssMb: number;
}

/** Whether this system has /proc (Linux); elsewhere `ps` tells. */
const HAS_PROC = existsSync("/proc/self/status");

interface Row {
  pid: number;
  parent: number;
  command: string;
}

/** Every process with its parent and command's name, read from /proc (Linux), or from `ps` elsewhere. */
function processRows(): Row[] {
  if (!HAS_PROC) {
    return execFileSync("ps", ["-e", "-o", "pid=,ppid=,comm="], { encoding: "utf8" })
      .trim()
      .split("\n")
      .map((line) => line.trim().split(/\s+/))
      .map(([pid, parent, command]) => ({ pid: Number(pid), parent: Number(parent), command }));
  }
  const rows: Row[] = [];
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      // The command's name is in parentheses and may hold spaces; the parent is the 2nd field after it.
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      const parent = Number(stat.slice(close + 2).split(" ")[1]);
      rows.push({ pid: Number(pid), parent, command: stat.slice(stat.indexOf("(") + 1, close) });
    } catch {
      // Gone meanwhile.
    }
  }
  return rows;
}

/** Resident memory of a process in MB, 0 once it is gone. */
function rssMb(pid: number): number {
  if (HAS_PROC) {
    try {
      return Math.round(Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024);
    } catch {
      return 0;
    }
  }
  try {
    return Math.round(Number(execFileSync("ps", ["-o", "rss=", "-p", String(pid)], { encoding: "utf8" }).trim()) / 1024);
  } catch {
    return 0;
  }
}

/**
 * Process `pid` and all its descendants (`pid` first, then breadth first), as they are now. Read
 * from /proc without starting a process: a bench samples it ten times a second beside a sweep
 * that keeps every core busy.
 */
export function processTree(pid: number): TreeProcess[] {
  const children = new Map<number, Row[]>();
  const byPid = new Map<number, Row>();
  for (const row of processRows()) {
    byPid.set(row.pid, row);
    const siblings = children.get(row.parent);
    if (siblings) siblings.push(row);
    else children.set(row.parent, [row]);
  }
  const root = byPid.get(pid);
  if (!root) return [];
  const tree = [root];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i].pid) ?? []));
  return tree.map(({ pid, command }) => ({ pid, command, rssMb: rssMb(pid) }));
}

/** Resident memory of process `pid` and all its descendants, in MB. */
export function treeRssMb(pid: number): number {
  return processTree(pid).reduce((sum, p) => sum + p.rssMb, 0);
}

/** Whether a process group still has a live (not zombie) member. */
export function groupAlive(pgid: number): boolean {
  const rows = execFileSync("ps", ["-e", "-o", "pgid=,stat="], { encoding: "utf8" }).trim().split("\n");
  return rows.some((row) => {
    const [group, stat] = row.trim().split(/\s+/);
    return Number(group) === pgid && !stat.startsWith("Z");
  });
}

/** Sends `signal` to a process group; one already gone is no error. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // the group is gone already
  }
}
