/**
 * hiett/serverless-redis-http (SRH), the community server that speaks Upstash's REST protocol, in front of a Redis
 * container: a second, independent implementation of the protocol for the REST copy tests. Docker only.
 */

import { startContainerServer } from './redis-container.js';
import type { TestServer } from './types.js';

export interface SrhServer {
  /** The Redis behind SRH, for seeding and DEBUG DIGEST. */
  readonly redis: TestServer;
  readonly url: string;
  readonly token: string;
  stop(): Promise<void>;
}

export async function startSrh(): Promise<SrhServer> {
  const { GenericContainer, Network, Wait } = await import('testcontainers');
  const network = await new Network().start();
  const redis = await startContainerServer({
    image: 'redis:7.0',
    binary: 'redis-server',
    engine: { name: 'redis-7.0', product: 'redis', version: '7.0' },
    network: { network, alias: 'redis' },
  });
  const token = 'srh-test-token';
  const srh = await new GenericContainer('hiett/serverless-redis-http:latest')
    .withNetwork(network)
    .withEnvironment({ SRH_MODE: 'env', SRH_TOKEN: token, SRH_CONNECTION_STRING: 'redis://redis:6379' })
    .withExposedPorts(80)
    .withWaitStrategy(Wait.forListeningPorts())
    .start();
  return {
    redis,
    token,
    url: `http://${srh.getHost()}:${srh.getMappedPort(80)}`,
    async stop() {
      await srh.stop();
      await redis.stop();
      await network.stop();
    },
  };
}
