/**
 * Sweep ids: 32 hex digits, random, or derived from an Idempotency-Key so that a retried POST finds
 * its sweep. A key names the sweep made under it in the last 24 hours; after that it is free again.
 */

import { sha256Hex } from "./sha256";

export { SWEEP_ID } from "../src/sweep/view";

/** How long an Idempotency-Key keeps naming its sweep. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * The id a key gives in the 24-hour window that holds `now`. A key reused within 24 hours may fall
 * in the next window: the caller looks in the previous window's id first ({@link previousSweepIdFor}).
 */
export async function sweepIdFor(idempotencyKey: string, now = Date.now()): Promise<string> {
  return (await sha256Hex(`idempotency:${idempotencyKey}:${Math.floor(now / IDEMPOTENCY_TTL_MS)}`)).slice(0, 32);
}

/** The id the key gave in the window before `now`'s. */
export function previousSweepIdFor(idempotencyKey: string, now = Date.now()): Promise<string> {
  return sweepIdFor(idempotencyKey, now - IDEMPOTENCY_TTL_MS);
}

/** A new random sweep id. */
export function randomSweepId(): string {
  return crypto.randomUUID().replaceAll("-", "");
}
