/**
 * The bytes an object holds in array buffers, found by walking its object graph: what the engine
 * allocated for it, independent of how a runtime accounts memory (Node 20 and 24 count
 * `process.memoryUsage().arrayBuffers` differently, and a collection mid-measurement shrinks it).
 */

/** Bytes of the distinct array buffers reachable from `root`, but those in `exclude`. */
export function reachableBufferBytes(root: unknown, exclude: ReadonlySet<ArrayBufferLike> = new Set()): number {
  const buffers = new Set<ArrayBufferLike>();
  const seen = new Set<object>();
  const todo: unknown[] = [root];
  while (todo.length > 0) {
    const value = todo.pop();
    if (typeof value !== "object" || value === null || seen.has(value)) continue;
    seen.add(value);
    if (value instanceof ArrayBuffer) buffers.add(value);
    else if (ArrayBuffer.isView(value)) buffers.add(value.buffer);
    else if (value instanceof Map) for (const [k, v] of value) todo.push(k, v);
    else if (value instanceof Set) for (const v of value) todo.push(v);
    else for (const key of Reflect.ownKeys(value)) todo.push((value as Record<PropertyKey, unknown>)[key]);
  }
  let bytes = 0;
  for (const b of buffers) if (!exclude.has(b)) bytes += b.byteLength;
  return bytes;
}
