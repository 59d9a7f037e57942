import { describe } from "vitest";
import { parityTests } from "./parity";

describe("parity with numpy's reference run, seed 1", () => parityTests(1));
