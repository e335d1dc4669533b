/** Gates read from the application instances' heartbeats (the client library) and the repair set they fill. */
import type { ClientHeartbeat } from '../control/heartbeats.js';
import { repairSetKey } from '../control/names.js';
import { asNumber, call, cmd, type RedisPort } from '../redis/port.js';
import { type Gate, gate } from './gate.js';

const who = (c: ClientHeartbeat): string => `${c.host}:${c.pid} (${c.id})`;

/** At most two adjacent stages coexist: every live instance must route by the current epoch before the next. */
export function clientEpochGate(clients: readonly ClientHeartbeat[], epoch: number): Gate {
  const behind = clients.filter((c) => c.epoch !== epoch);
  return gate(
    'clients on the current epoch',
    behind.length === 0,
    clients.length === 0
      ? 'no live client instances'
      : `${clients.length - behind.length} of ${clients.length} on epoch ${epoch}`,
    'all live instances',
    behind.length > 0 ? behind.map((c) => `${who(c)} at epoch ${c.epoch}`).join('; ') : undefined,
  );
}

/** Reads may only move when the clients' shadow reads found the other side equal. */
export function shadowGate(clients: readonly ClientHeartbeat[], maxRate: number): Gate {
  const reads = clients.reduce((n, c) => n + c.shadowReads, 0);
  const mismatches = clients.reduce((n, c) => n + c.shadowMismatches, 0);
  const rate = reads === 0 ? 0 : mismatches / reads;
  return gate(
    'shadow-read mismatches',
    rate <= maxRate,
    reads === 0 ? 'no shadow reads reported' : `${mismatches} of ${reads} (${(rate * 100).toFixed(3)}%)`,
    `≤ ${(maxRate * 100).toFixed(3)}%`,
  );
}

/** Keys a client gave up mirroring wait in the repair set: none may wait when reads or the primary move. */
export function mirrorGate(clients: readonly ClientHeartbeat[], repairKeys: number): Gate {
  const failures = clients.reduce((n, c) => n + c.mirrorFailures, 0);
  const recorded = clients.reduce((n, c) => n + c.mirrorRecorded, 0);
  return gate(
    'mirror failures',
    repairKeys === 0,
    `${repairKeys} keys in ${repairSetKey}`,
    '0 keys waiting for repair',
    clients.length > 0
      ? `clients report ${failures} failed mirror attempts, ${recorded} keys recorded`
      : undefined,
  );
}

export async function repairSetSize(target: RedisPort): Promise<number> {
  return asNumber(await call(target, cmd('SCARD', [repairSetKey], repairSetKey)));
}
