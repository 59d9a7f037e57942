/** API errors as values: `{ error: { code, message, field? } }` with the matching status. */

import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { SweepConfigError } from "../src/sweep";
import { TuningError } from "./tuning";

/** The body of every error answer. */
export interface ApiErrorBody {
  error: { code: string; message: string; field?: string };
}

/** The one builder of error bodies. */
export function errorBody(code: string, message: string, field?: string): ApiErrorBody {
  return { error: field === undefined ? { code, message } : { code, message, field } };
}

/** An error answer: its body and status (for code that answers rather than throws: a Durable Object's fetch). */
export function errorResponse(status: number, code: string, message: string, headers?: Record<string, string>): Response {
  return Response.json(errorBody(code, message), { status, headers });
}

/** Throws an HTTPException whose response is the JSON error body. */
export function apiError(
  status: ContentfulStatusCode,
  code: string,
  message: string,
  field?: string,
  headers?: Record<string, string>,
): never {
  throw new HTTPException(status, { res: Response.json(errorBody(code, message, field), { status, headers }) });
}

/** `app.onError`: HTTPExceptions as they are, config errors as 400, anything else as a logged 500. */
export function onError(err: Error, c: Context): Response {
  if (err instanceof HTTPException) return err.getResponse();
  if (err instanceof SweepConfigError) {
    return c.json(errorBody("invalid_field", err.message, err.field), 400);
  }
  if (err instanceof TuningError) {
    console.error(err.message);
    return c.json(errorBody("misconfigured", `this server is misconfigured: ${err.message}`), 500);
  }
  console.error(err);
  return c.json(errorBody("internal", "internal error; the server log has the details"), 500);
}
