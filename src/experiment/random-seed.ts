/** A seed for runs that were not given one. */

/** A uint32 from the platform's cryptographic generator (Web Crypto, in Node and in Workers). */
export function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}
