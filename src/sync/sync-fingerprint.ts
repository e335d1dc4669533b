import { createHash } from 'node:crypto';

/** Names a sync's durable state by its two ends (read side first) and its key pattern. */
export function syncFingerprint(from: string, to: string, match: string): string {
  return createHash('sha256')
    .update(JSON.stringify([from, to, match]))
    .digest('hex')
    .slice(0, 16);
}
