/** A sweep: its request fields and validation, its experiments, what the API answers, and its reports. */

export {
  effectiveSearch,
  experimentCount,
  fieldOf,
  type Grid,
  type GridValues,
  gridCombinationAt,
  gridCombinationCount,
  gridCombinations,
  parseSweepConfig,
  type SweepConfig,
  SweepConfigError,
  type SweepExperiment,
  type SweepRequest,
  storedSweepConfig,
  sweepExperiments,
} from "./config";
export { parseFieldText, parseGridText } from "./field-text";
export {
  FIELD_NAMES,
  type FieldName,
  type FieldRule,
  type FieldSpec,
  GRID_FIELDS,
  type GridField,
  MAX_EXPERIMENTS,
  ruleMessage,
  ruleSummary,
  SWEEP_FIELDS,
} from "./fields";
export { applyProgress, LIVE_CLOSE, type LiveMessage, liveUrl, type StatusCounts } from "./live-message";
export { plotSvg } from "./plot-svg";
export { CSV_HEADER, resultsCsvLines } from "./results-csv";
export { type Search, trialValues } from "./search";
export { smoothCurve } from "./smooth-curve";
export { studySvg } from "./study-svg";
export { compareSvg, summarySeries, summarySvg } from "./summary-svg";
export { combinationTitle, escapeXml, scaleTitle } from "./titles";
export * from "./view";
