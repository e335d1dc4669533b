/**
 * How the tool learns a target's key rules (src/redis/key-rules.ts): only a cluster showing one node for every slot
 * is asked, with one keyless script, once; a one-node cluster of our own keeps one call per node, Serverless rules
 * get one call per slot.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEndpoint } from '../src/redis/connect.js';
import { keylessProbeScript, probeKeyRules } from '../src/redis/key-rules.js';
import type { Command, RedisPort } from '../src/redis/port.js';
import { startOneNodeCluster } from './support/cluster.js';
import { openTarget, withExec } from './support/copy.js';
import { type ServerlessEndpoint, startServerlessEndpoint } from './support/serverless-endpoint.js';
import { startCluster, startRedis, stopAll, type TestCluster, type TestServer } from './support/servers.js';
import { openssl } from './support/tls-certs.js';

afterAll(stopAll);

describe.runIf(openssl !== undefined)('target key rules', () => {
  let standalone: TestServer;
  let oneNode: TestServer;
  let cluster: TestCluster;
  let endpoint: ServerlessEndpoint;

  beforeAll(async () => {
    [standalone, oneNode, cluster, endpoint] = await Promise.all([
      startRedis(),
      startOneNodeCluster('redis-7.0'),
      startCluster(),
      startServerlessEndpoint(),
    ]);
  }, 60_000);

  /** The rules learnt for a target, and the scripts sent to learn them (probing twice sends nothing more). */
  const learn = async (port: RedisPort) => {
    const sent: Command[] = [];
    const watched = withExec(port, (commands, node) => {
      sent.push(...commands.filter((c) => c.name.startsWith('EVAL')));
      return port.exec(commands, node);
    });
    try {
      const rules = [await probeKeyRules(watched), await probeKeyRules(watched)];
      return { rules, probes: sent.map((c) => [c.name, ...c.args.map(String)]) };
    } finally {
      await port.close();
    }
  };
  const open = (url: string) => openEndpoint({ role: 'target', url });

  it('asks nothing of a standalone server or a cluster of several nodes', async () => {
    expect(await learn(await open(standalone.url))).toEqual({ rules: ['by-node', 'by-node'], probes: [] });
    expect(await learn(await open(cluster.url))).toEqual({ rules: ['by-node', 'by-node'], probes: [] });
  });

  it('keeps one call per node on a one-node cluster that runs keyless scripts', async () => {
    expect(await learn(await open(oneNode.url))).toEqual({
      rules: ['by-node', 'by-node'],
      probes: [['EVAL', keylessProbeScript, '0']],
    });
  });

  it('declares keys one slot per call where keyless scripts are refused, after one probe', async () => {
    endpoint.resetCounts();
    expect(await learn(await openTarget(endpoint))).toEqual({
      rules: ['by-slot', 'by-slot'],
      probes: [['EVAL', keylessProbeScript, '0']],
    });
    expect(endpoint.refusalCounts()).toEqual({ 'keyless-script': 1 });
  });
});
