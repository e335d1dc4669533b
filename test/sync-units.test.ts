/** The pure parts of sync: the glob matcher and the dirty-key set (dedupe, one copy per key at a time, lag). */
import { describe, expect, it } from 'vitest';
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
