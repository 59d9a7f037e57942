/** The face of an optimizer: one update over a network's parameters, with saveable state. */

import type { Param } from "../layers/layer";
import type { KeptSlot } from "../linalg/matmul";

/** Optimizer state for a checkpoint: per-parameter tensors and scalars such as a step count. */
export interface OptimizerState {
  tensors: Float64Array[];
  scalars: number[];
}

/**
 * A gradient that is exactly +0 outside some rows of `width` values (the first layer's dW, where
 * a batch leaves pixels empty). An optimizer for which a zero gradient leaves a value as it is
 * may update the listed rows only.
 */
export interface SparseGradient {
  param: Param;
  rows: Int32Array;
  count: number;
  width: number;
  /** The kernel's kept packing this parameter may be in (a network group's first layer, see matmul.ts). */
  kept?: KeptSlot;
}

/** Updates parameters in place from their gradients. */
export interface Optimizer {
  readonly kind: OptimizerKind;
  /** Returns true when the sparse gradient's parameter is in the kernel's kept packing (sparse.kept) as updated. */
  update(params: Param[], sparse?: SparseGradient): boolean;
  getState(): OptimizerState;
  setState(state: OptimizerState): void;
}

/** The optimizers of the book's chapter 6. */
export const OPTIMIZER_KINDS = ["sgd", "momentum", "adagrad", "adam"] as const;
/** One of {@link OPTIMIZER_KINDS}. */
export type OptimizerKind = (typeof OPTIMIZER_KINDS)[number];

/** Restores per-parameter tensors after checking that they fit the network. */
export function setTensors(target: Float64Array[], source: Float64Array[], kind: string): void {
  if (target.length !== source.length || target.some((t, i) => t.length !== source[i].length)) {
    throw new RangeError(`${kind} state does not fit this network's parameters`);
  }
  target.forEach((t, i) => {
    t.set(source[i]);
  });
}
