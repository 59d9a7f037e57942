/**
 * Whether a build's outputs are up to date: a stamp file beside them keeps the modification time
 * of every file that went into the last build (esbuild's own list of its inputs, their folders, so
 * that a file added beside them counts, and the files that configure the build), the build's
 * options, and a hash of each output. A start with nothing changed then skips esbuild (a few ms
 * instead of ~0.1 s).
 */

import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";

/**
 * An input changed this soon before the build started may have been changed after it read the
 * file: filesystems keep modification times in steps of up to a second, from a coarse clock.
 */
const SETTLE_MS = 2000;

interface Stamp {
  options: unknown;
  inputs: Record<string, number>;
  outputs: Record<string, string>;
}

/** Each path's modification time (relative to `root`), or -1 when it is gone. */
function mtimes(root: string, paths: string[]): Record<string, number> {
  return Object.fromEntries(
    paths.map((path) => [path, existsSync(resolve(root, path)) ? statSync(resolve(root, path)).mtimeMs : -1]),
  );
}

/** Each output's hash: two builds finishing at once cannot pair one's stamp with the other's files. */
function hashes(outputs: string[]): Record<string, string> {
  return Object.fromEntries(outputs.map((path) => [path, createHash("sha1").update(readFileSync(path)).digest("hex")]));
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** True when the stamp names the same options, unchanged inputs and these very outputs. */
export function upToDate(stampPath: string, root: string, outputs: string[], options: unknown): boolean {
  try {
    const kept = JSON.parse(readFileSync(stampPath, "utf8")) as Stamp;
    return (
      same(kept.options, options) &&
      Object.keys(kept.inputs).length > 0 &&
      same(mtimes(root, Object.keys(kept.inputs)), kept.inputs) &&
      same(hashes(outputs), kept.outputs)
    );
  } catch {
    // No stamp yet, a damaged one, or an output missing: build.
    return false;
  }
}

/**
 * Records a build that started at `started` (ms since the epoch): `inputs` (relative to `root`)
 * with their folders, and `configs`, the files that shape the build without being its inputs
 * (the build script, tsconfig.json, package.json). No stamp when some input is gone or changed
 * near or after the start: the next start builds again.
 */
export function writeStamp(
  stampPath: string,
  root: string,
  build: { inputs: string[]; configs: string[]; outputs: string[]; options: unknown; started: number },
): void {
  const folders = build.inputs.map((path) => dirname(path)).filter((dir) => dir !== ".");
  const times = mtimes(root, [...new Set([...build.inputs, ...folders, ...build.configs])]);
  mkdirSync(dirname(stampPath), { recursive: true });
  if (Object.values(times).every((mtime) => mtime >= 0 && mtime < build.started - SETTLE_MS)) {
    const stamp: Stamp = { options: build.options, inputs: times, outputs: hashes(build.outputs) };
    writeFileSync(stampPath, JSON.stringify(stamp));
  } else {
    rmSync(stampPath, { force: true });
  }
}
