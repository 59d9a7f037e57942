/**
 * Successive halving over a search's trials (`halving: {rungs, keep}`): every trial pauses at the
 * first rung (a point count: epochs evaluated); once all of its group have paused there or ended,
 * the best `keep` share by accuracy at that point goes on to the next rung, the others stop there.
 * A group is one repeat's trials at one weight scale. A stopped trial's lists are a prefix of its
 * full run: it is the same run, cut short. Here the arithmetic; the status changes are the
 * lifecycle's (lifecycle.ts).
 */

import type { AccuracyLists } from "../experiment/experiment";

/** Where trials are compared (points, ascending, each below the run's), and the share that goes on. */
export interface Halving {
  rungs: number[];
  keep: number;
}

/** Rungs one sweep may have. */
export const MAX_RUNGS = 8;

/** Trials that go on from a rung `entered` trials reached: `keep` of them rounded up, at least one. */
export function keptCount(entered: number, keep: number): number {
  // keep × entered is a product of decimals: 0.3 × 10 is 3.0000000000000004, which is 3 trials.
  return Math.max(1, Math.ceil(keep * entered - 1e-9));
}

/** Trials that enter each rung and then the end: `trials` at the first rung, then what each rung keeps. */
export function trialsPerRung(trials: number, halving: Halving): number[] {
  const counts = [trials];
  for (let k = 0; k < halving.rungs.length; k++) counts.push(keptCount(counts[k], halving.keep));
  return counts;
}

/** Points a group's trials run with halving, and without: what is saved is the difference. */
export function halvingPoints(trials: number, halving: Halving, points: number): { run: number; full: number } {
  const counts = trialsPerRung(trials, halving);
  const ends = [...halving.rungs, points];
  // Trials stopped at rung k ran its points; those kept past the last rung ran them all.
  let run = 0;
  for (let k = 0; k < ends.length; k++) run += (counts[k] - (counts[k + 1] ?? 0)) * ends[k];
  return { run, full: trials * points };
}

/**
 * The experiments each one is compared with (itself included), by index: a group is one repeat's
 * trials at one weight scale.
 */
export function halvingGroups(experiments: readonly { index: number; repeat: number; scale: number }[]): Map<number, number[]> {
  const byGroup = new Map<string, number[]>();
  const key = (e: { repeat: number; scale: number }) => `${e.repeat}:${e.scale}`;
  for (const e of experiments) byGroup.set(key(e), [...(byGroup.get(key(e)) ?? []), e.index]);
  return new Map(experiments.map((e) => [e.index, byGroup.get(key(e)) ?? []]));
}

/** Where a trial pauses after `rung` (null: it runs to the end), from the first rung when `rung` is null. */
export function nextPause(halving: Halving | null, rung: number | null): number | null {
  if (!halving) return null;
  return halving.rungs.find((r) => rung === null || r > rung) ?? null;
}

/**
 * A trial's accuracy after `points` evaluations on images it does not train on, as halving ranks
 * it: validation in §6.5, else the test images (the Batch Norm study's Batch Norm network's).
 * Ranking on training accuracy would keep the trials that overfit most, so a sweep without
 * held-out images is refused halving (config.ts).
 */
export function rungScore(lists: AccuracyLists, points: number): number {
  const list = lists.validation ?? lists.test ?? lists.testBatchNorm ?? [];
  return list[points - 1] ?? Number.NEGATIVE_INFINITY;
}
