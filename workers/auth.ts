/**
 * The guard of the requests that change sweeps, secure by default: with SWEEP_TOKEN set they need
 * `Authorization: Bearer <token>` (Hono's bearerAuth, scheme case-insensitive, constant-time
 * comparison); without it they are refused unless the deployment opts into an open server.
 */

import { bearerAuth } from "hono/bearer-auth";
import { createMiddleware } from "hono/factory";
import { timingSafeEqual } from "hono/utils/buffer";
import { type ApiErrorBody, apiError } from "./api-error";
import type { Env } from "./env";

const NEEDS_TOKEN = "this server needs Authorization: Bearer <SWEEP_TOKEN>";

function body(code: string, message: string): ApiErrorBody {
  return { error: { code, message } };
}

const checkToken = bearerAuth<{ Bindings: Env }>({
  verifyToken: (token, c) => timingSafeEqual(c.env.SWEEP_TOKEN ?? "", token),
  noAuthenticationHeader: { message: body("unauthorized", NEEDS_TOKEN) },
  // Hono answers 400 here: the header is not `Bearer <token68>` (letters, digits and -._~+/ then = padding).
  invalidAuthenticationHeader: {
    message: body("bad_authorization", "Authorization must be Bearer <token>, the token of letters, digits and -._~+/ only"),
  },
  invalidToken: { message: body("unauthorized", NEEDS_TOKEN) },
});

/** Answers 401 unless the request carries the token, or the server is explicitly open. */
export const requireToken = createMiddleware<{ Bindings: Env }>(async (c, next) => {
  if (c.env.SWEEP_TOKEN) return checkToken(c, next);
  if (c.env.ALLOW_OPEN_SERVER === "true") return next();
  apiError(
    401,
    "token_not_configured",
    'this server has no SWEEP_TOKEN, so it refuses to start, cancel or retry sweeps. Set one with `npx wrangler secret put SWEEP_TOKEN` and send Authorization: Bearer <token>, or opt into an open server with ALLOW_OPEN_SERVER = "true" under [vars]',
  );
});
