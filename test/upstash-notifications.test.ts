/** Keyspace notifications for sync: read on every node, set minimally with consent, guidance when refused. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEndpoint } from '../src/redis/connect.js';
import {
  ensureNotifications,
  mergeNotifyFlags,
  missingNotifyFlags,
  readNotifyFlags,
  requiredNotifyFlags,
} from '../src/redis/notifications.js';
import type { RedisPort } from '../src/redis/port.js';
import { startRestServer } from './support/rest-server.js';
import { startCluster, startRedis, stopAll, type TestServer } from './support/servers.js';

afterAll(stopAll);

describe('notify-keyspace-events flags', () => {
  it.each([
    ['', 'Eg$lshzxet'],
    ['Ex', 'g$lshzet'],
    ['AKE', ''],
    ['KEA', ''],
    ['Kg$lshzxet', 'E'],
  ])('a server with %j lacks %j', (current, missing) => {
    expect(missingNotifyFlags(current)).toBe(missing);
  });

  it('keeps the flags already set when adding the missing ones', () => {
    expect(mergeNotifyFlags('Km')).toBe(`Km${requiredNotifyFlags}`);
    expect(missingNotifyFlags(mergeNotifyFlags('Kl'))).toBe('');
    expect(mergeNotifyFlags('Kl')).toMatch(/^Kl/);
  });
});

describe('ensureNotifications on a real server', () => {
  let port: RedisPort;
  let server: TestServer;
  beforeAll(async () => {
    server = await startRedis({ args: ['--notify-keyspace-events', 'Kl'] });
    port = await openEndpoint({ role: 'source', url: server.url });
  });
  afterAll(() => port?.close());

  it('changes nothing without consent and says how to give it', async () => {
    const report = await ensureNotifications(port, { consent: false, consentFlag: '--allow-config' });
    expect(report.ready).toBe(false);
    expect(report.changed).toEqual([]);
    expect(report.guidance).toMatch(/--allow-config/);
    expect((await readNotifyFlags(port))[0]?.flags).toBe('lK');
  });

  it('with consent adds the missing flags, keeping the existing ones, and events flow', async () => {
    const report = await ensureNotifications(port, { consent: true });
    expect(report).toMatchObject({ ready: true, changed: ['main'] });
    const flags = (await readNotifyFlags(port))[0]?.flags ?? '';
    expect(flags).toContain('K');
    expect(missingNotifyFlags(flags)).toBe('');
    expect(await ensureNotifications(port, { consent: true })).toMatchObject({ ready: true, changed: [] });

    const subscriber = server.client();
    const writer = server.client();
    try {
      const events: string[] = [];
      subscriber.on('pmessage', (_pattern, channel: string, key: string) => events.push(`${channel} ${key}`));
      await subscriber.psubscribe('__keyevent@0__:*');
      await writer.set('n:a', '1', 'PX', 20);
      await writer.xadd('n:s', '*', 'f', 'v');
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(events).toEqual(
        expect.arrayContaining([
          '__keyevent@0__:set n:a',
          '__keyevent@0__:xadd n:s',
          '__keyevent@0__:expired n:a',
        ]),
      );
    } finally {
      subscriber.disconnect();
      writer.disconnect();
    }
  });
});

describe('ensureNotifications where CONFIG is refused (as on ElastiCache)', () => {
  it('is not ready and points at the parameter group', async () => {
    const server = await startRedis({ args: ['--rename-command', 'CONFIG', 'hidden-config'] });
    const port = await openEndpoint({ role: 'source', url: server.url });
    try {
      const report = await ensureNotifications(port, { consent: true });
      expect(report.ready).toBe(false);
      expect(report.guidance).toMatch(/parameter group/);
      expect(report.guidance).toMatch(/unknown command/);
    } finally {
      await port.close();
    }
  });
});

describe('ensureNotifications on every node', () => {
  it('sets the flags on each master of a cluster', async () => {
    const cluster = await startCluster();
    const port = await openEndpoint({ role: 'source', url: cluster.url });
    try {
      const report = await ensureNotifications(port, { consent: true });
      expect(report.ready).toBe(true);
      expect(report.changed).toHaveLength(3);
      for (const node of await readNotifyFlags(port)) expect(missingNotifyFlags(node.flags ?? '')).toBe('');
    } finally {
      await port.close();
    }
  }, 60_000);

  it('works through the Upstash REST API', async () => {
    const server = await startRedis();
    const rest = await startRestServer(server);
    const port = await openEndpoint({ role: 'source', url: rest.url, token: rest.token });
    const report = await ensureNotifications(port, { consent: true });
    expect(report).toMatchObject({ ready: true, changed: ['main'] });
  });
});
