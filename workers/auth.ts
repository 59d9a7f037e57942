/**
 * Who may do what, secure by default. With SWEEP_TOKEN set, every API route needs
 * `Authorization: Bearer <token>` (Hono's bearerAuth, scheme case-insensitive, constant-time
 * comparison), reads too unless PUBLIC_READ = "true"; the live socket takes a short-lived ticket
 * instead (live-ticket.ts), since a browser cannot set headers on a WebSocket. Without a token
 * every route is refused unless the deployment opts into an open server (the local scripts do,
 * on the loopback, where web-guard.ts keeps other web pages out).
 */

import { bearerAuth } from "hono/bearer-auth";
import { createMiddleware } from "hono/factory";
import { timingSafeEqual } from "hono/utils/buffer";
import { apiError, errorBody } from "./api-error";
import type { Env } from "./env";

const NEEDS_TOKEN = "this server needs Authorization: Bearer <SWEEP_TOKEN>";

const checkToken = bearerAuth<{ Bindings: Env }>({
  verifyToken: (token, c) => timingSafeEqual(c.env.SWEEP_TOKEN ?? "", token),
  noAuthenticationHeader: { message: errorBody("unauthorized", NEEDS_TOKEN) },
  // Hono answers 400 here: the header is not `Bearer <token68>` (letters, digits and -._~+/ then = padding).
  invalidAuthenticationHeader: {
    message: errorBody("bad_authorization", "Authorization must be Bearer <token>, the token of letters, digits and -._~+/ only"),
  },
  invalidToken: { message: errorBody("unauthorized", NEEDS_TOKEN) },
});

/** Answers 401 unless the request carries the token, or the server is explicitly open. */
export const requireToken = createMiddleware<{ Bindings: Env }>(async (c, next) => {
  if (c.env.SWEEP_TOKEN) return checkToken(c, next);
  if (c.env.ALLOW_OPEN_SERVER === "true") return next();
  apiError(
    401,
    "token_not_configured",
    'this server has no SWEEP_TOKEN, so it refuses every API request. Set one with `npx wrangler secret put SWEEP_TOKEN` and send Authorization: Bearer <token>, or opt into an open server with ALLOW_OPEN_SERVER = "true" under [vars]',
  );
});

/** Whether reads are open to anyone: only when the deployment says so. */
export function publicRead(env: Env): boolean {
  return env.PUBLIC_READ === "true";
}

/** Reads: as {@link requireToken}, unless PUBLIC_READ = "true". */
export const requireReader = createMiddleware<{ Bindings: Env }>(async (c, next) => {
  if (publicRead(c.env)) return next();
  return requireToken(c, next);
});
