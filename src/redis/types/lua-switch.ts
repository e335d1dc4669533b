/**
 * Assembles the per-type Lua of the scripts. The text is generated once, at module load, from the registry in a
 * fixed order: scripts are cached by their SHA1, so the same code must always give the same text.
 */

/** One branch of a Lua `if` chain: its condition (none: the final `else`) and its body, unindented. */
export interface LuaBranch {
  when?: string;
  body: string;
}

/** `if … elseif … else … end` over `branches`, every line indented by `indent`, bodies by two spaces more. */
export function luaIf(branches: readonly LuaBranch[], indent = ''): string {
  const lines: string[] = [];
  branches.forEach(({ when, body }, i) => {
    lines.push(`${indent}${when === undefined ? 'else' : `${i === 0 ? 'if' : 'elseif'} ${when} then`}`);
    for (const line of body.trim().split('\n')) lines.push(line === '' ? '' : `${indent}  ${line}`);
  });
  lines.push(`${indent}end`);
  return lines.join('\n');
}

/** A branch `ty == '<name>'` for each name that has a body. */
export const typeBranches = (
  bodies: ReadonlyArray<readonly [name: string, body: string | undefined]>,
): LuaBranch[] =>
  bodies.flatMap(([name, body]) => (body === undefined ? [] : [{ when: `ty == '${name}'`, body }]));

const identifier = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A Lua table literal of string values: `{string = 'STRLEN', ['ReJSON-RL'] = …}`. */
export const luaTable = (entries: ReadonlyArray<readonly [string, string]>): string =>
  `{${entries.map(([k, v]) => `${identifier.test(k) ? k : `['${k}']`} = '${v}'`).join(', ')}}`;

/**
 * The chunk digest of an order-free collection (verify's digestChunkScript body): one page of its SCAN-family
 * command, XORed; `pairs` for a reply of pairs (hash fields and values, zset members and scores), else members.
 */
export const scanChunkDigestLua = (command: 'HSCAN' | 'SSCAN' | 'ZSCAN', pairs?: 'hash' | 'zset'): string => `
local page = redis.call('${command}', k, cursor, 'COUNT', count)
local acc = {0, 0, 0, 0, 0}
${pairs ? `pairsXor(acc, page[2], '${pairs}')` : 'membersXor(acc, page[2])'}
return {page[1], accHex(acc), #page[2]${pairs ? ' / 2' : ''}}
`;
