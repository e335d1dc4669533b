/**
 * A window's "writes stopped": the operator stops the application, and the old primary counts as quiet once no key
 * changed for --quiet-for. Seen through keyspace notifications where they are on (reserved keys, expiries and
 * evictions left out); else
 * through the server's own change counter (INFO persistence, rdb_changes_since_last_save); else through key counts,
 * which miss overwrites (and say so).
 */
import { ExitCode, MigrateError } from '../errors.js';
import { openChangeFeed } from '../redis/change-feed.js';
import { IoredisPort } from '../redis/ioredis-port.js';
import { probeKeyRules } from '../redis/key-rules.js';
import { nodeSizes } from '../redis/keyspace.js';
import { missingNotifyFlags, readNotifyFlags } from '../redis/notifications.js';
import { sendsKeyEvents } from '../redis/notifications-probe.js';
import { asText, cmd, type RedisPort } from '../redis/port.js';
import { isReserved } from '../redis/slot.js';
import { sleep } from '../retry.js';
import { portOf, type SwitchContext, tell } from './context.js';
import type { WindowReport } from './window-report.js';

export type QuietMethod = NonNullable<WindowReport['quietBy']>;

export interface Quiet {
  by: QuietMethod;
  /** The last change seen (or the start of the wait, when none was seen). */
  since: number;
  waitedMs: number;
}

const pollMs = 200;

export async function waitForQuiet(context: SwitchContext, side: 'source' | 'target'): Promise<Quiet> {
  const port = portOf(context, side);
  const { quietForMs, quietTimeoutMs } = context.options;
  const started = Date.now();
  const by = await methodFor(port, side);
  tell(
    context,
    'quiet',
    `stop the application's writes to the ${side} (${port.label}) now; waiting for ${quietForMs} ms without a change (seen by ${by})`,
  );
  let since = started;
  const feed =
    by === 'notifications'
      ? await openChangeFeed(port, {
          onKey: (key, event) => {
            // Keys expiring or evicted on their own are no application write.
            if (!isReserved(key) && event !== 'expired' && event !== 'evicted') since = Date.now();
          },
          onGap: () => {
            since = Date.now();
          },
        })
      : undefined;
  try {
    let last = feed ? '' : await fingerprint(port, by);
    while (Date.now() - since < quietForMs) {
      if (context.signal?.aborted) throw new MigrateError('interrupted', { code: ExitCode.interrupted });
      if (Date.now() - started > quietTimeoutMs) {
        throw new MigrateError(`the ${side} did not go quiet within ${quietTimeoutMs / 1000} s`, {
          code: ExitCode.notReady,
          hint: `stop every writer to the ${side} first (or pass --fence where CLIENT PAUSE is allowed); nothing was changed`,
        });
      }
      await sleep(pollMs, context.signal);
      if (feed) continue;
      const now = await fingerprint(port, by);
      if (now !== last) since = Date.now();
      last = now;
    }
  } finally {
    await feed?.close();
  }
  return { by, since, waitedMs: Date.now() - started };
}

/** Notifications where every node sends them (by its setting, or seen); the change counter on the source (the target's own control keys
 * change all the time: the sync status, heartbeats, the switch lock); key counts otherwise. */
async function methodFor(port: RedisPort, side: 'source' | 'target'): Promise<QuietMethod> {
  // A server that wants script keys declared is ElastiCache Serverless: no notifications, and no CONFIG to ask.
  if (port instanceof IoredisPort && (await probeKeyRules(port)) === 'by-node') {
    const nodes = await readNotifyFlags(port).catch(() => []);
    if (nodes.length > 0 && nodes.every((n) => n.flags !== undefined && missingNotifyFlags(n.flags) === ''))
      return 'notifications';
    // CONFIG refused (ElastiCache): the events themselves say whether they are sent.
    const unreadable = nodes.length === 0 || nodes.some((n) => n.flags === undefined);
    if (unreadable && (await sendsKeyEvents(port).catch(() => false))) return 'notifications';
  }
  if (side === 'source' && (await changeCounter(port)) !== undefined) return 'change-counter';
  return 'key-count';
}

async function changeCounter(port: RedisPort): Promise<string | undefined> {
  const replies = await Promise.all(
    port.nodes().map((node) => port.exec([cmd('INFO', ['persistence'])], node).then(([r]) => asText(r))),
  );
  const counts = replies.map((info) => /rdb_changes_since_last_save:(\d+)/.exec(info)?.[1]);
  return counts.every((c) => c !== undefined) ? counts.join(',') : undefined;
}

async function fingerprint(port: RedisPort, by: QuietMethod): Promise<string> {
  if (by === 'change-counter') return (await changeCounter(port)) ?? '';
  return [...(await nodeSizes(port)).values()].join(',');
}
