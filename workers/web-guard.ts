/**
 * The open server's guard against other web pages. Without a token anyone who can reach the
 * server may use it, so on the loopback a page the user visits must not: a no-cors POST needs no
 * preflight unless its Content-Type is JSON, and DNS rebinding gives a hostile name the loopback's
 * address. So, when no token is required: the request must name a loopback host (or one the
 * deployment lists in ALLOWED_HOSTS), an Origin, when sent, must be the server's own, a POST must
 * say `Content-Type: application/json`, and preflights are refused.
 */

import { createMiddleware } from "hono/factory";
import { apiError } from "./api-error";
import type { Env } from "./env";

const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "[::1]", "::1"];

/** Whether the server takes requests without a token (the open local server). */
function isOpenServer(env: Env): boolean {
  return !env.SWEEP_TOKEN && env.ALLOW_OPEN_SERVER === "true";
}

/** The host a request names: its Host header, else its URL's. */
function hostOf(request: Request): string {
  return request.headers.get("Host") ?? new URL(request.url).host;
}

/** The host name without its port. */
function hostname(host: string): string {
  return host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.replace(/:\d+$/, "");
}

function allowedHost(env: Env, host: string): boolean {
  const name = hostname(host).toLowerCase();
  if (LOOPBACK_NAMES.includes(name) || /^127\.\d+\.\d+\.\d+$/.test(name)) return true;
  return (env.ALLOWED_HOSTS ?? "")
    .split(",")
    .map((h) => h.trim().toLowerCase())
    .includes(name);
}

/** Refuses, on an open server, what another web page could send. A server with a token needs none of this. */
export const refuseOtherPages = createMiddleware<{ Bindings: Env }>(async (c, next) => {
  if (!isOpenServer(c.env)) return next();
  const host = hostOf(c.req.raw);
  if (!allowedHost(c.env, host)) {
    apiError(
      403,
      "host_not_allowed",
      `this open server answers only requests to the loopback (localhost, 127.0.0.1, [::1]), not to ${hostname(host)}; list other names in ALLOWED_HOSTS`,
      "Host",
    );
  }
  const origin = c.req.header("Origin");
  if (origin !== undefined && origin !== `${new URL(c.req.url).protocol}//${host}`) {
    apiError(403, "origin_not_allowed", `this open server refuses requests from other web pages (Origin ${origin})`, "Origin");
  }
  if (c.req.method === "OPTIONS") {
    apiError(403, "cross_origin_refused", "this open server does not allow cross-origin requests");
  }
  if (c.req.method === "POST") {
    const type = (c.req.header("Content-Type") ?? "").split(";")[0].trim().toLowerCase();
    if (type !== "application/json") {
      apiError(
        415,
        "content_type_required",
        "a POST to this open server must say Content-Type: application/json (so that no other web page can send one)",
        "Content-Type",
      );
    }
  }
  return next();
});
