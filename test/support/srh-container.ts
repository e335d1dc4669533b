/**
 * hiett/serverless-redis-http (SRH), the community server that speaks Upstash's REST protocol, in front of a Redis
 * container: a second, independent implementation of the protocol for the REST copy tests. Its image comes only from
 * a registry, so it runs where someone pulled it (`docker pull hiett/serverless-redis-http:latest`).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { imageExists, RUN_LABEL, runId, testcontainers } from './docker.js';
import { DEFAULT_ENGINE } from './engines.js';
import { freePorts } from './ports.js';
import { startContainerEngine } from './redis-container.js';
import type { TestServer } from './types.js';
import { testWorld } from './world.js';

const SRH_IMAGE = 'hiett/serverless-redis-http:latest';
const READY_TIMEOUT_MS = 60_000;

export interface SrhServer {
  /** The Redis behind SRH, for seeding and DEBUG DIGEST. */
  readonly redis: TestServer;
  readonly url: string;
  readonly token: string;
  stop(): Promise<void>;
}

/** Why SRH cannot run here, or undefined when it can. */
export async function whySrhCannotRun(): Promise<string | undefined> {
  if ((await testWorld()) !== 'containers') return 'it needs the container world';
  if (await imageExists(SRH_IMAGE)) return undefined;
  return `no image ${SRH_IMAGE} (only a registry has it; pull it where one is reachable)`;
}

export async function startSrh(): Promise<SrhServer> {
  const { GenericContainer } = await testcontainers();
  const redis = await startContainerEngine(DEFAULT_ENGINE);
  const [port] = await freePorts(1);
  const token = 'srh-test-token';
  // The host's network, like the harness's servers: no bridge needed, SRH listens on a free port.
  const srh = await new GenericContainer(SRH_IMAGE)
    .withNetworkMode('host')
    .withLabels({ [RUN_LABEL]: runId() })
    .withEnvironment({
      ...{ SRH_MODE: 'env', SRH_TOKEN: token, SRH_PORT: String(port) },
      SRH_CONNECTION_STRING: `redis://127.0.0.1:${redis.port}`,
    })
    .start();
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(url);
  return {
    redis,
    token,
    url,
    async stop() {
      await srh.stop();
      await redis.stop();
    },
  };
}

/** Any HTTP answer means SRH listens (it answers 401 without the token). */
async function waitForHttp(url: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  const answers = () =>
    fetch(url).then(
      () => true,
      () => false,
    );
  while (!(await answers())) {
    if (Date.now() > deadline) throw new Error(`SRH did not answer on ${url} within ${READY_TIMEOUT_MS} ms`);
    await sleep(200);
  }
}
