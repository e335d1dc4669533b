import { asArray, asText, cmd, type RedisPort } from './port.js';

/**
 * Keyspace notifications are sync's change feed. Sync needs keyevent notifications (E) for generic commands (g: DEL,
 * RENAME, EXPIRE…), every type ($ l s h z t) and keys that vanish on their own (x expired, e evicted).
 */
export const requiredNotifyFlags = 'Eg$lshzxet';
/** What the alias 'A' stands for in notify-keyspace-events. */
const aliasA = 'g$lshzxetd';

/** The required flags the given setting lacks ('' when it has them all). */
export function missingNotifyFlags(current: string): string {
  const have = new Set(current.replace(/A/g, aliasA));
  return [...requiredNotifyFlags].filter((flag) => !have.has(flag)).join('');
}

/** The current setting plus what is missing: existing flags (K, m, n…) are kept. */
export const mergeNotifyFlags = (current: string): string => `${current}${missingNotifyFlags(current)}`;

export interface NodeNotifyFlags {
  node: string;
  /** The setting, or undefined when the server refused to say. */
  flags: string | undefined;
  error?: string;
}

/** CONFIG GET notify-keyspace-events on every node (the setting is per node). */
export async function readNotifyFlags(port: RedisPort): Promise<NodeNotifyFlags[]> {
  return Promise.all(
    port.nodes().map(async (node): Promise<NodeNotifyFlags> => {
      const [reply] = await port.exec([cmd('CONFIG', ['GET', 'notify-keyspace-events'])], node);
      if (reply instanceof Error) return { node, flags: undefined, error: reply.message };
      return { node, flags: asText(asArray(reply)[1]) };
    }),
  );
}

export interface NotificationsReport {
  /** True when every node sends the notifications sync needs. */
  ready: boolean;
  /** Nodes whose setting this call changed. */
  changed: string[];
  nodes: NodeNotifyFlags[];
  /** What the operator should do when not ready. */
  guidance?: string;
}

export interface EnsureNotificationsOptions {
  /** The operator allowed CONFIG SET on the source. Without it nothing is changed. */
  consent: boolean;
  /** The flag that gives consent, named in the guidance. @default '--enable-notifications' */
  consentFlag?: string;
}

/**
 * Makes sure every node sends the keyevent notifications sync needs, setting the smallest addition to the current
 * flags when the operator consented. Returns what it found and did; never throws for a refusal.
 */
export async function ensureNotifications(
  port: RedisPort,
  options: EnsureNotificationsOptions,
): Promise<NotificationsReport> {
  const before = await readNotifyFlags(port);
  const unreadable = before.find((n) => n.flags === undefined);
  if (unreadable) {
    return {
      ready: false,
      changed: [],
      nodes: before,
      guidance: refusedGuidance(port, '', unreadable.error),
    };
  }
  const lacking = before.filter((n) => missingNotifyFlags(n.flags ?? '') !== '');
  if (lacking.length === 0) return { ready: true, changed: [], nodes: before };
  const wanted = mergeNotifyFlags(lacking[0]?.flags ?? '');
  if (!options.consent) {
    const have = lacking.map((n) => `'${n.flags}'`).join(', ');
    return {
      ready: false,
      changed: [],
      nodes: before,
      guidance:
        `keyspace notifications on ${port.label} lack '${missingNotifyFlags(lacking[0]?.flags ?? '')}' (have ${have}; sync needs '${requiredNotifyFlags}'): ` +
        `pass ${options.consentFlag ?? '--enable-notifications'} to let migrate run CONFIG SET notify-keyspace-events '${wanted}', or set it yourself`,
    };
  }
  const changed: string[] = [];
  for (const node of lacking) {
    const flags = mergeNotifyFlags(node.flags ?? '');
    const [reply] = await port.exec([cmd('CONFIG', ['SET', 'notify-keyspace-events', flags])], node.node);
    if (reply instanceof Error) {
      return {
        ready: false,
        changed,
        nodes: await readNotifyFlags(port),
        guidance: refusedGuidance(port, flags, reply.message),
      };
    }
    changed.push(node.node);
  }
  const after = await readNotifyFlags(port);
  const ready = after.every((n) => n.flags !== undefined && missingNotifyFlags(n.flags) === '');
  return ready
    ? { ready, changed, nodes: after }
    : { ready, changed, nodes: after, guidance: refusedGuidance(port, wanted, 'the setting did not stick') };
}

/** What to do when the server will not show or change the setting (ElastiCache blocks CONFIG). */
function refusedGuidance(port: RedisPort, flags: string, error: string | undefined): string {
  const value = flags || `${requiredNotifyFlags} plus the flags already set`;
  return (
    `${port.label} refused CONFIG for notify-keyspace-events (${error ?? 'refused'}): ` +
    `on ElastiCache set the parameter notify-keyspace-events to '${value}' in the cluster's parameter group; ` +
    `on Upstash or Redis run CONFIG SET notify-keyspace-events '${value}' as a user allowed to`
  );
}
