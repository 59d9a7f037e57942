/** Builds an optimizer by name. */

import type { Param } from "../layers/layer";
import { AdaGrad } from "./adagrad";
import { Adam } from "./adam";
import { Momentum } from "./momentum";
import type { Optimizer, OptimizerKind } from "./optimizer";
import { Sgd } from "./sgd";

/** A fresh optimizer of `kind` for `params` with learning rate `lr`. */
export function createOptimizer(kind: OptimizerKind, params: Param[], lr: number): Optimizer {
  switch (kind) {
    case "sgd":
      return new Sgd(lr);
    case "momentum":
      return new Momentum(params, lr);
    case "adagrad":
      return new AdaGrad(params, lr);
    case "adam":
      return new Adam(params, lr);
  }
}
