/** A matcher for Redis glob patterns (`*`, `?`, `[a-z]`, `[^x]`, `\x`) over raw key bytes, as SCAN MATCH does. */
export function globMatcher(glob: string): (key: Buffer) => boolean {
  if (glob === '*') return () => true;
  // Keys are compared as latin1, one char per byte, so the pattern is turned into its UTF-8 bytes the same way.
  const pattern = Buffer.from(glob, 'utf8').toString('latin1');
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') source += '[\\s\\S]*';
    else if (c === '?') source += '[\\s\\S]';
    else if (c === '\\' && i + 1 < pattern.length) source += escapeChar(pattern[++i]!);
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) {
        source += '\\[';
        continue;
      }
      const body = pattern.slice(i + 1, end);
      const negated = body.startsWith('^');
      source += `[${negated ? '^' : ''}${(negated ? body.slice(1) : body).replace(/[\\\]]/g, '\\$&')}]`;
      i = end;
    } else source += escapeChar(c);
  }
  const regex = new RegExp(`^${source}$`);
  return (key) => regex.test(key.toString('latin1'));
}

const escapeChar = (c: string): string => c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
