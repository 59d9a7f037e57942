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

/** Where a group's trials end: how many stop at each rung's points, and how many run all `points`. */
export function trialEnds(trials: number, halving: Halving, points: number): { points: number; trials: number }[] {
  const counts = trialsPerRung(trials, halving);
  return [...halving.rungs, points].map((end, k) => ({ points: end, trials: counts[k] - (counts[k + 1] ?? 0) }));
}

/** Points a group's trials run with halving, and without: what is saved is the difference. */
export function halvingPoints(trials: number, halving: Halving, points: number): { run: number; full: number } {
  const run = trialEnds(trials, halving, points).reduce((sum, end) => sum + end.trials * end.points, 0);
  return { run, full: trials * points };
}

/**
 * The experiments each one is compared with (itself included), by index: a group is one repeat's
 * trials at one weight scale.
 */
export function halvingGroups(experiments: readonly { index: number; repeat: number; scale: number }[]): Map<number, number[]> {
  const byGroup = new Map<string, number[]>();
  const key = (e: { repeat: number; scale: number }) => `${e.repeat}:${e.scale}`;
  for (const e of experiments) {
    const group = byGroup.get(key(e)) ?? [];
    group.push(e.index);
    byGroup.set(key(e), group);
  }
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
