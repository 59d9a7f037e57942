/**
 * A Worker that runs one default experiment per request, for timing the engine inside workerd:
 * the body is `count` training images (784 bytes each) then their labels.
 */

import type { MnistData } from "../../src/data/dataset";
import { BOOK_WEIGHT_SCALES, EXPERIMENT_DEFAULTS } from "../../src/experiment/config";
import { Experiment } from "../../src/experiment/experiment";

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const count = Number(url.searchParams.get("count"));
    const bytes = new Uint8Array(await request.arrayBuffer());
    const empty = { count: 0, pixelsPerImage: 784, images: new Uint8Array(0), labels: new Uint8Array(0) };
    const data: MnistData = {
      train: { count, pixelsPerImage: 784, images: bytes.subarray(0, count * 784), labels: bytes.subarray(count * 784) },
      test: empty,
    };
    const config = { ...EXPERIMENT_DEFAULTS, weightScale: BOOK_WEIGHT_SCALES[Number(url.searchParams.get("scale"))], seed: 0 };
    return Response.json(new Experiment({ ...config, seed: Number(url.searchParams.get("seed")) }, data).run());
  },
};
