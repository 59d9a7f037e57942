/** Sweep ids: 32 hex digits, random, or derived from an Idempotency-Key so a retried POST finds its sweep. */

import { sha256Hex } from "./sha256";

/** What a sweep id looks like; anything else is an unknown sweep. */
export const SWEEP_ID = /^[0-9a-f]{32}$/;

/** The id an Idempotency-Key always maps to. */
export async function sweepIdFor(idempotencyKey: string): Promise<string> {
  return (await sha256Hex(`idempotency:${idempotencyKey}`)).slice(0, 32);
}

/** A new sweep id, or the one an Idempotency-Key maps to. */
export function newSweepId(idempotencyKey: string | undefined): Promise<string> {
  return idempotencyKey ? sweepIdFor(idempotencyKey) : Promise.resolve(crypto.randomUUID().replaceAll("-", ""));
}
