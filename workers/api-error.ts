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

/** Throws an HTTPException whose response is the JSON error body. */
export function apiError(
  status: ContentfulStatusCode,
  code: string,
  message: string,
  field?: string,
  headers?: Record<string, string>,
): never {
  const body: ApiErrorBody = { error: field === undefined ? { code, message } : { code, message, field } };
  throw new HTTPException(status, { res: Response.json(body, { status, headers }) });
}

/** `app.onError`: HTTPExceptions as they are, config errors as 400, anything else as a logged 500. */
export function onError(err: Error, c: Context): Response {
  if (err instanceof HTTPException) return err.getResponse();
  if (err instanceof SweepConfigError) {
    return c.json({ error: { code: "invalid_field", message: err.message, field: err.field } } satisfies ApiErrorBody, 400);
  }
  if (err instanceof TuningError) {
    console.error(err.message);
    return c.json(
      { error: { code: "misconfigured", message: `this server is misconfigured: ${err.message}` } } satisfies ApiErrorBody,
      500,
    );
  }
  console.error(err);
  return c.json(
    { error: { code: "internal", message: "internal error; the server log has the details" } } satisfies ApiErrorBody,
    500,
  );
}
