/** One weight-scale experiment: its configuration, the resumable training loop, checkpoints and cost. */

export { experimentDrawWords, skipExperimentDraws } from "./book-stream";
export { CheckpointError, restoreExperiment, saveExperiment } from "./checkpoint";
export { BOOK_SCALE_RANGE, BOOK_WEIGHT_SCALES, EXPERIMENT_DEFAULTS, type ExperimentConfig, itersPerEpoch } from "./config";
export { iterationWork, type MemoryEstimate, memoryEstimate, peakIterationWork, rowForwardWork, totalWork } from "./cost";
export { type AccuracyLists, Experiment, type ExperimentResult } from "./experiment";
export { randomSeed } from "./random-seed";
export {
  STUDIES,
  STUDY_DEFAULTS,
  type Study,
  type StudyNetwork,
  studyIterations,
  studyListCount,
  studyMeasure,
  studyNetworks,
  studyPoints,
} from "./study";
