/** Pure rules of verify: which problem a pair of key states is, and order-free fingerprints of small values. */
import { describe, expect, it } from 'vitest';
import { classify, type KeyState } from '../src/keys/compare.js';
import { rawFingerprint } from '../src/keys/raw-fingerprint.js';

const key = (over: Partial<KeyState> = {}): KeyState => ({
  type: 'string',
  expireAt: 0,
  size: 3,
  digest: 'abc',
  ...over,
});
const b = (...items: string[]) => items.map((item) => Buffer.from(item));

describe('classify', () => {
  it('names one problem per key, the most basic first', () => {
    expect(classify(key(), key(), 1000)).toBeUndefined();
    expect(classify(key(), key({ type: 'none' }), 1000)).toBe('missing');
    expect(classify(key(), key({ type: 'list', expireAt: 5 }), 1000)).toBe('type');
    expect(classify(key(), key({ digest: 'abd', expireAt: 5 }), 1000)).toBe('value');
    expect(classify(key(), key({ size: 4 }), 1000)).toBe('value');
  });

  it('compares expiry as absolute times within the tolerance', () => {
    expect(classify(key({ expireAt: 10_000 }), key(), 1000)).toBe('ttl-lost');
    expect(classify(key(), key({ expireAt: 10_000 }), 1000)).toBe('ttl-added');
    expect(classify(key({ expireAt: 10_000 }), key({ expireAt: 11_000 }), 1000)).toBeUndefined();
    expect(classify(key({ expireAt: 10_000 }), key({ expireAt: 11_001 }), 1000)).toBe('ttl-drift');
  });

  it('never reports a key the source no longer holds', () => {
    expect(classify(key({ type: 'none' }), key({ type: 'hash' }), 1000)).toBeUndefined();
  });
});

describe('rawFingerprint', () => {
  it('ignores the order of hash fields, set members and zset members, but not of list elements', () => {
    expect(rawFingerprint('hash', b('a', '1', 'b', '2'))).toBe(rawFingerprint('hash', b('b', '2', 'a', '1')));
    expect(rawFingerprint('hash', b('a', '1', 'b', '2'))).not.toBe(
      rawFingerprint('hash', b('a', '2', 'b', '1')),
    );
    expect(rawFingerprint('set', b('x', 'y'))).toBe(rawFingerprint('set', b('y', 'x')));
    expect(rawFingerprint('list', b('x', 'y'))).not.toBe(rawFingerprint('list', b('y', 'x')));
  });

  it('reads zset scores as numbers, so equal doubles printed differently agree and inf differs from -inf', () => {
    expect(rawFingerprint('zset', b('m', '0.10000000000000001'))).toBe(rawFingerprint('zset', b('m', '0.1')));
    expect(rawFingerprint('zset', b('m', 'inf'))).not.toBe(rawFingerprint('zset', b('m', '-inf')));
    expect(rawFingerprint('zset', b('m', '1'))).not.toBe(rawFingerprint('zset', b('m', '1.5')));
  });

  it('keeps element boundaries: ["ab","c"] is not ["a","bc"]', () => {
    expect(rawFingerprint('list', b('ab', 'c'))).not.toBe(rawFingerprint('list', b('a', 'bc')));
    expect(rawFingerprint('set', b('ab', 'c'))).not.toBe(rawFingerprint('set', b('a', 'bc')));
  });

  it('fingerprints a small stream by its entries in order, their fields, and its last ID', () => {
    const stream = (entries: Array<[string, string[]]>, last: string) =>
      rawFingerprint('stream', [
        entries.map(([id, fields]) => [Buffer.from(id), b(...fields)]),
        Buffer.from(last),
      ]);
    const one = stream(
      [
        ['1-0', ['f', 'ab']],
        ['2-0', ['f', 'c']],
      ],
      '2-0',
    );
    expect(one).toBe(
      stream(
        [
          ['1-0', ['f', 'ab']],
          ['2-0', ['f', 'c']],
        ],
        '2-0',
      ),
    );
    expect(one).not.toBe(stream([['1-0', ['f', 'ab']]], '2-0'));
    expect(one).not.toBe(
      stream(
        [
          ['1-0', ['f', 'a']],
          ['2-0', ['bf', 'c']],
        ],
        '2-0',
      ),
    );
    expect(one).not.toBe(
      stream(
        [
          ['1-0', ['f', 'ab']],
          ['2-0', ['f', 'c']],
        ],
        '3-0',
      ),
    );
  });
});
