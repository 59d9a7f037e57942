/** Parsing helpers for command lines: each failure is a one-line message naming the flag. */

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

/** A finite number flag within [min, max]. */
export function numberFlag(name: string, text: string, min: number, max: number): number {
  const v = Number(text);
  if (text.trim() === "" || !Number.isFinite(v) || v < min || v > max) {
    throw new UsageError(`--${name} must be a number in [${min}, ${max}], got "${text}"`);
  }
  return v;
}

/** One of a fixed set of words. */
export function choiceFlag<T extends string>(name: string, text: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(text)) {
    throw new UsageError(`--${name} must be one of ${choices.join(", ")}, got "${text}"`);
  }
  return text as T;
}

/** A comma-separated list of positive integers, such as `100,100,100`. */
export function intListFlag(name: string, text: string): number[] {
  const parts = text.split(",");
  if (parts.some((p) => !/^\d+$/.test(p.trim()) || Number(p) < 1)) {
    throw new UsageError(`--${name} must be positive integers separated by commas, got "${text}"`);
  }
  return parts.map(Number);
}
