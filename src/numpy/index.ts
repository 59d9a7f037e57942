/** numpy's behaviour the study depends on: the legacy RandomState stream and logspace. */

export { glibcLog } from "./glibc-log";
export { logspace, pow10 } from "./logspace";
export { NumpyRandom, type NumpyRandomState } from "./random-state";
