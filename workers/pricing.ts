/**
 * Cloudflare's published Workers Paid prices that a sweep's estimate uses, in one place.
 * As read on developers.cloudflare.com/durable-objects/platform/pricing on 2026-11-28; the free
 * allowances of the plan are left out (the estimate is the marginal cost of one sweep).
 */

/** Durable Objects duration: USD per million GB-seconds, billed while an object runs. */
export const DO_USD_PER_MILLION_GB_SECONDS = 12.5;
/** Durable Objects requests (RPC calls and alarm invocations): USD per million. */
export const DO_USD_PER_MILLION_REQUESTS = 0.15;
/** Memory a Durable Object is billed for, in GB (128 MB). */
export const DO_BILLED_GB = 0.128;
/** The date the prices above were read. */
export const PRICES_AS_OF = "2026-11-28";

/** USD for `cpuSeconds` of Durable Object work in `requests` requests (alarms and RPC calls). */
export function durableObjectCost(cpuSeconds: number, requests: number): number {
  return (cpuSeconds * DO_BILLED_GB * DO_USD_PER_MILLION_GB_SECONDS) / 1e6 + (requests * DO_USD_PER_MILLION_REQUESTS) / 1e6;
}
