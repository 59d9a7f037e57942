/** What a server sends, made safe before the CLI prints it or builds a path from it. */

import { SWEEP_ID } from "../src/sweep/view";

/**
 * `text` without control characters (escape sequences could move the cursor, rewrite the screen
 * or set the window title): C0 and C1 controls and DEL removed, tabs and newlines kept.
 */
export function printable(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, "");
}

/** A sweep id as the server's format has it (32 hex digits), or undefined: `../x` never becomes part of a path. */
export function sweepIdOrUndefined(id: unknown): string | undefined {
  return typeof id === "string" && SWEEP_ID.test(id) ? id : undefined;
}
