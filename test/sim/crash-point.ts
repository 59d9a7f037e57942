/** Where a simulated object's storage crashes it: between any two writes, and for good once it crashed. */

/** Thrown by a write the scheduler chose to crash at, or by a crashed incarnation's write. */
export class Crash extends Error {}

/** Storage that counts writes, for the scheduler's crashes. */
export class CrashPoint {
  /** Writes left before the scheduler's crash (none when undefined). */
  crashAfter: number | undefined;
  /** The incarnation of the object that may write; a crash moves it on. */
  incarnation = 0;
  /** Told of a crash this storage caused, at once: code that catches errors must not go on writing. */
  onCrash: (() => void) | undefined;

  /**
   * Counts a write; throws {@link Crash} at the chosen one, and at every write of an incarnation
   * that crashed (its isolate is gone: nothing it does is stored).
   */
  write(by = this.incarnation): void {
    if (by !== this.incarnation) throw new Crash("a crashed object writes nothing");
    if (this.crashAfter === undefined) return;
    if (this.crashAfter-- <= 0) {
      this.crashAfter = undefined;
      this.onCrash?.();
      throw new Crash("crash between two writes");
    }
  }
}
