/**
 * POSTs per token or address, through the Workers rate-limiting binding (POST_LIMITER in
 * wrangler.toml; Miniflare runs it locally). A leaked token or an open server then costs at most
 * that many sweeps a minute, on top of the daily work limit. Without the binding nothing is limited.
 */

import { createMiddleware } from "hono/factory";
import { apiError } from "./api-error";
import type { Env } from "./env";
import { sha256Hex } from "./sha256";

/** Seconds a limited client waits: the binding's period. */
const PERIOD_SECONDS = 60;

export const limitPosts = createMiddleware<{ Bindings: Env }>(async (c, next) => {
  const limiter = c.env.POST_LIMITER;
  if (!limiter) return next();
  // Runs after the token check: with a token configured the request holds it, and every holder of
  // it shares one bucket (keyed by its hash, never the token); an open server counts per address.
  const token = c.env.SWEEP_TOKEN;
  const key = token ? `token:${(await sha256Hex(token)).slice(0, 32)}` : `ip:${c.req.header("CF-Connecting-IP") ?? "local"}`;
  const { success } = await limiter.limit({ key });
  if (!success) {
    apiError(429, "rate_limited", `too many POSTs with this ${token ? "token" : "address"}; try again in a minute`, undefined, {
      "Retry-After": String(PERIOD_SECONDS),
    });
  }
  return next();
});
