/** Command-line mistakes: each is a one-line message naming the flag. */

/** A command-line mistake; the message is shown as is and the process exits with code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** An integer flag within [min, max]. */
export function intFlag(name: string, text: string, min: number, max: number): number {
  const v = Number(text);
  if (text.trim() === "" || !Number.isInteger(v) || v < min || v > max) {
    throw new UsageError(`--${name} must be an integer in [${min}, ${max}], got "${text}"`);
  }
  return v;
}
