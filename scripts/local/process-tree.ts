/** What `ps` says of a local server's processes: memory of a tree, whether a group lives, and signals to groups. */

import { execFileSync } from "node:child_process";

/** One process of a tree: its command's name and resident memory in MB. */
export interface TreeProcess {
  pid: number;
  command: string;
  rssMb: number;
}

/** Process `pid` and all its descendants (`pid` first, then breadth first), as `ps` sees them now. */
export function processTree(pid: number): TreeProcess[] {
  const rows = execFileSync("ps", ["-e", "-o", "pid=,ppid=,rss=,comm="], { encoding: "utf8" })
    .trim()
    .split("\n")
    .map((line) => line.trim().split(/\s+/));
  const children = new Map<number, TreeProcess[]>();
  const byPid = new Map<number, TreeProcess>();
  for (const [p, parent, kb, command] of rows) {
    const proc = { pid: Number(p), command, rssMb: Math.round(Number(kb) / 1024) };
    byPid.set(proc.pid, proc);
    children.set(Number(parent), [...(children.get(Number(parent)) ?? []), proc]);
  }
  const root = byPid.get(pid);
  if (!root) return [];
  const tree = [root];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i].pid) ?? []));
  return tree;
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
