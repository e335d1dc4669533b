/**
 * How expiries are read: absolute (docs/invariants.md #4), with PEXPIRETIME wherever the server has it. A PTTL added to a TIME
 * read beside it is only as exact as the two reads share a millisecond, and even inside one script they need not (on
 * Redis 7.0 PTTL follows the clock while the script runs): copies from a Redis 7.0 source were off by 1-5 ms.
 */

/**
 * Lua for the read scripts: `expireAt(k, now)` is key k's absolute expiry in ms, -1 without one, -2 when k does not
 * exist. The first refusal of PEXPIRETIME (Redis < 7.0, or an ACL that denies it) switches the rest of the call to
 * PTTL added to `now` (the script's TIME): the fallback, never exact on a busy server. The refusal is a pcall inside
 * the script, so finding out costs no extra (billed) command.
 */
export const expireAtLua = `
local exactExpiry = true
local function expireAt(k, now)
  if exactExpiry then
    local at = redis.pcall('PEXPIRETIME', k)
    if type(at) == 'number' then return at end
    exactExpiry = false
  end
  local pttl = redis.call('PTTL', k)
  if pttl < 0 then return pttl end
  return now + pttl
end
`;

/**
 * An expiry as the reads answer it (absolute ms; -1 none, -2 no such key) as the engines keep it: 0 means none.
 * An absolute expiry is never 0, and never negative.
 */
export const expireAtOf = (read: number): number => (read >= 0 ? read : 0);
