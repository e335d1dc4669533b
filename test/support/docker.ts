/**
 * The Docker engine of the container world, reached through testcontainers' runtime client (which finds it the
 * way the docker CLI does: DOCKER_HOST, then the default socket). Every container the harness starts carries the
 * label RUN_LABEL, so what a run leaves behind can be found and removed.
 */
import { hostname } from 'node:os';
import type { ContainerRuntimeClient } from 'testcontainers';

// Ryuk, testcontainers' reaper, is an image from a registry: the harness removes its containers itself. Containers
// use the host's network, so they are reached on 127.0.0.1 (not the gateway testcontainers guesses inside Docker).
process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
process.env.TESTCONTAINERS_HOST_OVERRIDE ??= '127.0.0.1';

export const RUN_LABEL = 'migrate-test.run';

let library: Promise<typeof import('testcontainers')> | undefined;
let client: Promise<ContainerRuntimeClient> | undefined;

/** Loaded lazily, so the process world neither pays for nor depends on it (the import alone takes ~1 s). */
export function testcontainers(): Promise<typeof import('testcontainers')> {
  library ??= import('testcontainers');
  return library;
}

/** The runtime client: rejects when no Docker engine answers. */
export function docker(): Promise<ContainerRuntimeClient> {
  client ??= testcontainers().then((tc) => tc.getContainerRuntimeClient());
  return client;
}

/** The run a container belongs to: `host:pid` of vitest's main process (see global-setup.ts), else of this one. */
export function runId(): string {
  return process.env.MIGRATE_TEST_RUN ?? `${hostname()}:${process.pid}`;
}

export async function imageExists(image: string): Promise<boolean> {
  const runtime = await docker();
  return runtime.container.dockerode
    .getImage(image)
    .inspect()
    .then(
      () => true,
      () => false,
    );
}

/** Force-removes the harness's containers whose run label passes `select`; returns how many. */
export async function removeContainers(select: (run: string) => boolean): Promise<number> {
  const { dockerode } = (await docker()).container;
  const found = await dockerode.listContainers({ all: true, filters: { label: [RUN_LABEL] } });
  const chosen = found.filter((info) => select(info.Labels[RUN_LABEL] ?? ''));
  await Promise.all(chosen.map((info) => dockerode.getContainer(info.Id).remove({ force: true })));
  return chosen.length;
}

/** A run of this host whose process has ended (e.g. was SIGKILLed before it could remove its containers). */
export function isDeadRun(run: string): boolean {
  const at = run.lastIndexOf(':');
  const pid = Number(run.slice(at + 1));
  if (run.slice(0, at) !== hostname() || !Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
