/**
 * The absolute expiry (ms) of a key from a PTTL read at `now` on the same clock; 0 means no expiry.
 * PTTL 0 is a key expiring this very millisecond: it has a TTL, and must never be written without one.
 */
export const absoluteExpiry = (pttl: number, now: number): number => (pttl >= 0 ? now + pttl : 0);
