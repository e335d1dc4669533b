/**
 * Proves the harness's two worlds: servers really run where the run said (a container's server is PID 1 of its own
 * namespace), behave alike (freeze, failed start), and in the container world every container is labelled with its
 * run, removed when stopped, and removed at the next run's start when its run was killed.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { hostname } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { docker, isDeadRun, RUN_LABEL, removeContainers, runId } from './support/docker.js';
import { engineImage, imageEngine } from './support/engine-image.js';
import { DEFAULT_ENGINE } from './support/engines.js';
import { freePorts } from './support/ports.js';
import { waitUntilReady } from './support/ready.js';
import { startContainerEngine } from './support/redis-container.js';
import {
  engineMatrix,
  startCluster,
  startRedis,
  startServer,
  stopAll,
  type TestServer,
  testWorld,
} from './support/servers.js';

const world = await testWorld();

afterAll(stopAll);

async function serverPid(server: TestServer): Promise<number> {
  const client = server.client();
  try {
    return Number(/process_id:(\d+)/.exec(await client.info('server'))?.[1]);
  } finally {
    client.disconnect();
  }
}

/** The pid of a process that has ended. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await once(child, 'exit');
  return child.pid!;
}

describe(`the ${world} world`, () => {
  it('runs servers and cluster nodes where the run said', async () => {
    const [server, cluster] = await Promise.all([startRedis(), startCluster()]);
    const pids = await Promise.all([server, ...cluster.nodes].map(serverPid));
    for (const pid of pids) {
      if (world === 'containers') expect(pid).toBe(1);
      else expect(pid).toBeGreaterThan(1);
    }
    await Promise.all([server.stop(), cluster.stop()]);
  }, 60_000);

  it('freezes a server with SIGSTOP and thaws it with SIGCONT', async () => {
    const server = await startRedis();
    const client = server.client({ commandTimeout: 300, maxRetriesPerRequest: 0 });
    await server.kill('SIGSTOP');
    await expect(client.ping()).rejects.toThrow(/timed out/i);
    await server.kill('SIGCONT');
    await waitUntilReady(server.host, server.port);
    client.disconnect();
    await server.stop();
  });

  it('says why a server did not start, from its own output', async () => {
    await expect(startRedis({ args: ['--no-such-directive', 'yes'] })).rejects.toThrow(/no-such-directive/);
  });
});

describe('which runs are dead', () => {
  it('is a run of this host whose process has ended', async () => {
    expect(isDeadRun(`${hostname()}:${await deadPid()}`)).toBe(true);
    expect(isDeadRun(`${hostname()}:${process.pid}`)).toBe(false);
    expect(isDeadRun(`another-host:${await deadPid()}`)).toBe(false);
    expect(isDeadRun('not-a-run')).toBe(false);
  });
});

describe.runIf(world === 'containers')('containers of a run', () => {
  const labelled = async (run: string) => {
    const { dockerode } = (await docker()).container;
    const found = await dockerode.listContainers({ all: true, filters: { label: [`${RUN_LABEL}=${run}`] } });
    return found.map((info) => info.Id);
  };

  it('carry the run label and are removed when their server stops', async () => {
    const server = await startContainerEngine(DEFAULT_ENGINE);
    expect(await labelled(runId())).toContain(server.id);
    await server.stop();
    expect(await labelled(runId())).not.toContain(server.id);
  });

  it('run every engine whose image was built as that engine, standalone and as a cluster', async () => {
    const { dockerode } = (await docker()).container;
    const images = await dockerode.listImages({ filters: { reference: ['migrate-test/*'] } });
    // migrate-test/valkey:8.1 holds the engine valkey-8.1
    const withImage = images
      .flatMap((image) => image.RepoTags ?? [])
      .flatMap((tag) => imageEngine(tag) ?? []);
    expect(withImage).toContain(DEFAULT_ENGINE);
    // Those the harness runs: an image whose engine is not built here stands for nothing (the engines line says so).
    const engines = engineMatrix(...withImage);
    for (const engine of engines) {
      const [product, version] = engine.split('-') as [string, string];
      // Through the harness's entry points: a test asking for this engine gets a container of it.
      const [server, cluster] = await Promise.all([startServer({ engine }), startCluster({ engine })]);
      expect(cluster.engine.name).toBe(engine);
      for (const node of [server, ...cluster.nodes]) {
        const client = node.client();
        const info = await client.info('server');
        client.disconnect();
        const reported = new RegExp(`${product}_version:(\\S+)`).exec(info)?.[1];
        expect(reported, engine).toMatch(new RegExp(`^${version}\\.`));
        expect(node.engine).toEqual({ name: engine, product, version: reported });
        expect(Number(/process_id:(\d+)/.exec(info)?.[1]), engine).toBe(1);
      }
      await Promise.all([server.stop(), cluster.stop()]);
    }
  }, 120_000);

  it('of a killed run are removed at the next start; those of a live run stay', async () => {
    const [port] = await freePorts(1);
    const runtime = await docker();
    const deadRun = `${hostname()}:${await deadPid()}`;
    const leftover = await runtime.container.create({
      Image: engineImage(DEFAULT_ENGINE),
      Cmd: ['redis-server', '--port', String(port), '--bind', '127.0.0.1', '--save', ''],
      Labels: { [RUN_LABEL]: deadRun },
      HostConfig: { NetworkMode: 'host' },
    });
    await leftover.start();
    await waitUntilReady('127.0.0.1', port!);
    const live = await startRedis();

    expect(await removeContainers(isDeadRun)).toBeGreaterThanOrEqual(1);
    expect(await labelled(deadRun)).toEqual([]);
    expect(await serverPid(live)).toBe(1);
    await live.stop();
  });
});
