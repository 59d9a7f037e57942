/**
 * Tickets for the live socket. A browser cannot set Authorization on a WebSocket, and a token in
 * the URL lands in access logs; so a client with the token asks for a ticket (an HMAC of the sweep
 * id and an expiry, keyed by the token) and connects with `?ticket=`. A logged ticket names one
 * sweep and is worthless a minute later.
 */

import { timingSafeEqual } from "hono/utils/buffer";

/** How long a ticket opens the socket. */
export const TICKET_TTL_MS = 60_000;

async function sign(token: string, sweepId: string, expires: number): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(token), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`live:${sweepId}:${expires}`));
  return Array.from(new Uint8Array(mac), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A ticket for sweep `sweepId`'s live socket: `<expiry ms>.<hmac hex>`. */
export async function issueTicket(
  token: string,
  sweepId: string,
  now = Date.now(),
): Promise<{ ticket: string; expiresAt: string }> {
  const expires = now + TICKET_TTL_MS;
  return { ticket: `${expires}.${await sign(token, sweepId, expires)}`, expiresAt: new Date(expires).toISOString() };
}

/** Whether `ticket` was issued with `token` for this sweep and has not expired. */
export async function validTicket(token: string, sweepId: string, ticket: string, now = Date.now()): Promise<boolean> {
  const match = /^(\d{13})\.([0-9a-f]{64})$/.exec(ticket);
  if (!match) return false;
  const expires = Number(match[1]);
  if (expires < now || expires > now + TICKET_TTL_MS) return false;
  return timingSafeEqual(match[2], await sign(token, sweepId, expires));
}
