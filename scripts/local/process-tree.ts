/** What `ps` says of a local server's processes: memory of a tree, whether a group lives, and signals to groups. */

import { execFileSync } from "node:child_process";

/** Resident memory of process `pid` and all its descendants, in MB. */
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
