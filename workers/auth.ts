/** Bearer-token guard for the requests that change sweeps, active when SWEEP_TOKEN is set. */

import { createMiddleware } from "hono/factory";
import { apiError } from "./api-error";
import type { Env } from "./env";

/** Constant-time comparison, so the token cannot be guessed byte by byte from timings. */
function sameText(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/** Answers 401 unless `Authorization: Bearer <SWEEP_TOKEN>` is given (when the secret is set). */
export const requireToken = createMiddleware<{ Bindings: Env }>(async (c, next) => {
  const token = c.env.SWEEP_TOKEN;
  if (token) {
    const given = c.req.header("Authorization")?.match(/^Bearer\s+(.+)$/)?.[1] ?? "";
    if (!sameText(given, token)) apiError(401, "unauthorized", "this server needs Authorization: Bearer <SWEEP_TOKEN>");
  }
  await next();
});
