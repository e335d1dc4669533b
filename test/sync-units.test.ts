/** The pure parts of sync: the glob matcher, the dirty-key set (dedupe, one copy per key at a time, lag, lanes). */
import { describe, expect, it } from 'vitest';
import { BigKeys, bigKeyBytes } from '../src/sync/big-keys.js';
import { DirtyKeys } from '../src/sync/dirty-keys.js';
import { globMatcher } from '../src/sync/glob.js';

const b = (text: string) => Buffer.from(text);
const names = (batch: ReturnType<DirtyKeys['take']>) => batch?.keys.map((k) => k.key.toString()) ?? [];

describe('globMatcher', () => {
  it('matches like SCAN MATCH: *, ?, classes, negation and escapes', () => {
    const m = globMatcher('user:[a-c]?:*\\*');
    expect(m(b('user:b1:x*'))).toBe(true);
    expect(m(b('user:d1:x*'))).toBe(false);
    expect(m(b('user:b1:x'))).toBe(false);
    expect(globMatcher('k[^0-9]')(b('k5'))).toBe(false);
    expect(globMatcher('k[^0-9]')(b('kx'))).toBe(true);
    expect(globMatcher('a.b')(b('axb'))).toBe(false);
    expect(globMatcher('*')(Buffer.from([0xff, 0x00]))).toBe(true);
  });
});

describe('DirtyKeys', () => {
  it('deduplicates changes and never hands out a key that is being copied', () => {
    const dirty = new DirtyKeys();
    dirty.mark(b('a'), 100);
    dirty.mark(b('a'), 200);
    dirty.mark(b('b'), 150);
    const first = dirty.take(10, () => 'n');
    expect(names(first)).toEqual(['a', 'b']);
    dirty.mark(b('a'), 300); // changed during its copy
    expect(dirty.take(10, () => 'n')).toBeUndefined();
    expect(dirty.oldestSince()).toBe(100);
    dirty.settle(first!);
    expect(dirty.oldestSince()).toBe(300);
    expect(names(dirty.take(10, () => 'n'))).toEqual(['a']);
  });

  it('batches keys of one source node and reports the oldest change, older marks first', () => {
    const dirty = new DirtyKeys();
    dirty.mark(b('x1'), 10);
    dirty.mark(b('y1'), 20);
    dirty.mark(b('x2'), 30);
    dirty.mark(b('retried'), 5); // an older change (a retry) goes ahead
    expect(dirty.oldestSince()).toBe(5);
    expect(names(dirty.take(10, (k) => k.toString()[0]!))).toEqual(['retried']);
    expect(names(dirty.take(10, (k) => k.toString()[0]!))).toEqual(['x1', 'x2']);
    expect(dirty.size).toBe(4);
  });
});

describe('DirtyKeys, big-key lane', () => {
  const node = () => 'n';

  it('keeps big keys apart from batches, hands them out by size, and still copies a key once at a time', () => {
    const sizes = new Map([
      ['huge', 600],
      ['m1', 100],
      ['m2', 100],
    ]);
    const dirty = new DirtyKeys((id) => sizes.get(id));
    dirty.mark(b('huge'), 10);
    dirty.mark(b('small'), 20);
    dirty.mark(b('m1'), 30);
    dirty.mark(b('m2'), 40);
    expect(names(dirty.take(10, node))).toEqual(['small']);
    const first = dirty.takeBig(500, node);
    expect(names(first)).toEqual(['huge']); // over the budget: alone
    expect(names(dirty.takeBig(500, node))).toEqual(['m1', 'm2']);
    dirty.mark(b('huge'), 50); // changed while being copied
    expect(dirty.takeBig(500, node)).toBeUndefined();
    expect(dirty.oldestSince()).toBe(10);
    dirty.settle(first!);
    expect(dirty.oldestSince()).toBe(20);
    expect(names(dirty.takeBig(500, node))).toEqual(['huge']);
  });

  it('never lets a key that turns big while it waits be handed out twice', () => {
    const sizes = new Map<string, number>();
    const dirty = new DirtyKeys((id) => sizes.get(id));
    dirty.mark(b('k'), 10);
    sizes.set('k', 1 << 20); // its last copy (elsewhere) found it big
    dirty.mark(b('k'), 20);
    expect(dirty.takeBig(500, node)).toBeUndefined();
    expect(names(dirty.take(10, node))).toEqual(['k']);
    expect(dirty.remaining()).toEqual([]);
  });
});

describe('BigKeys', () => {
  it('remembers a key once a copy of it wrote 16 KiB, and keeps it when a later (compressed) copy is smaller', () => {
    const big = new BigKeys();
    big.note(b('small'), bigKeyBytes - 1);
    big.note(b('hash'), bigKeyBytes);
    expect(big.bytes('small')).toBeUndefined();
    expect(big.bytes('hash')).toBe(bigKeyBytes);
    big.note(b('hash'), 7000);
    expect(big.bytes('hash')).toBe(bigKeyBytes);
    big.note(b('hash'), 5 * bigKeyBytes);
    expect(big.bytes('hash')).toBe(5 * bigKeyBytes);
  });
});
