/**
 * Notices when the process that started this one dies. A parent killed with SIGKILL (npm, a
 * terminal, a supervisor) sends no signal to its children; the child is handed to another parent
 * instead, which is what this watches for.
 */

/** How often the parent is looked at. */
const PARENT_WATCH_MS = 500;

/** Calls `onDeath` once, soon after the process that started this one is gone; keeps nothing alive. */
export function onParentDeath(onDeath: () => void): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onDeath();
  }, PARENT_WATCH_MS);
  timer.unref();
}
