import { cmd, type RedisPort } from './port.js';

/**
 * How a server takes the keys of a script call. 'by-node': undeclared, in ARGV, one call per node for many slots
 * (any Redis, Valkey, Upstash, a node-based cluster) — the cheapest. 'by-slot': declared (numkeys ≥ 1) and all in
 * one hash slot per call (ElastiCache Serverless: "Lua scripts without any input keys are not supported", and
 * CROSSSLOT across slots).
 */
export type KeyRules = 'by-node' | 'by-slot';

const learnt = new WeakMap<RedisPort, KeyRules>();

/** The keyless script the probe sends: harmless wherever it runs. */
export const keylessProbeScript = 'return 1';

/**
 * Learns, once per port, what the server says about itself. Only a cluster that shows one node for all slots can
 * be ElastiCache Serverless (it surfaces every slot as one virtual node); one keyless script then tells it from a
 * one-node cluster of our own. Every other server gets 'by-node' without a probe.
 */
export async function probeKeyRules(port: RedisPort): Promise<KeyRules> {
  const known = learnt.get(port);
  if (known) return known;
  let rules: KeyRules = 'by-node';
  if (port.topology === 'cluster' && port.nodes().length === 1) {
    const [reply] = await port.exec([cmd('EVAL', [keylessProbeScript, 0])]);
    if (reply instanceof Error && keyRulesRefusal(reply)) rules = 'by-slot';
  }
  learnt.set(port, rules);
  return rules;
}

/** What was learnt about the port ('by-node' until a probe or a refusal says otherwise). */
export const keyRulesOf = (port: RedisPort): KeyRules => learnt.get(port) ?? 'by-node';

/** A refusal seen mid-run that 'by-slot' calls avoid: from then on the port gets them. */
export function learnBySlot(port: RedisPort): void {
  learnt.set(port, 'by-slot');
}

/**
 * A refusal that declaring each call's keys, one slot per call, avoids: Serverless's keyless-script text, CROSSSLOT,
 * and a cluster node's refusal of a key it does not own (a slot that moved mid-run).
 */
export const keyRulesRefusal = (error: Error): boolean =>
  /without any input keys|^CROSSSLOT|non local key|do not hash to the same slot/i.test(error.message);
