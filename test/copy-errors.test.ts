import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasStackTrace, runCli } from './support/cli.js';
import { startRedis, type TestServer } from './support/servers.js';
import { tempDir } from './support/temp-dir.js';

/** Each bad input: one line (plus a hint), the documented exit code, no stack trace, no secret. */
describe('copy errors: clear one-line messages and documented exit codes', () => {
  let source: TestServer;
  let target: TestServer;
  let guarded: TestServer;
  let tiny: TestServer;
  const dir = tempDir();

  beforeAll(async () => {
    [source, target, guarded, tiny] = await Promise.all([
      startRedis(),
      startRedis(),
      startRedis({ args: ['--requirepass', 'right-password-1'] }),
      startRedis({ args: ['--maxmemory', '3mb', '--maxmemory-policy', 'noeviction'] }),
    ]);
    const client = source.client();
    const value = 'x'.repeat(10_000);
    const pipeline = client.pipeline();
    for (let i = 0; i < 2000; i++) pipeline.set(`big:${i}`, value);
    await pipeline.exec();
    client.disconnect();
  });
  afterAll(() => dir.remove());

  const copy = (...args: string[]) =>
    runCli(['copy', '--checkpoint', dir.file(`${Math.random()}.json`), ...args]);
  const expectOneLine = (stderr: string) => {
    expect(hasStackTrace(stderr)).toBe(false);
    expect(stderr.trim().split('\n').length).toBeLessThanOrEqual(3);
    expect(stderr).toMatch(/^migrate: /);
  };

  it.each([
    ['an invalid URL', ['--source', 'not a url'], /source: invalid URL/],
    ['an unsupported scheme', ['--source', 'ftp://host:21'], /unsupported scheme/],
    ['a non-numeric --batch', ['--batch', 'abc'], /invalid --batch "abc"/],
    ['a zero --concurrency', ['--concurrency', '0'], /invalid --concurrency "0"/],
    ['a --chunk-size over the request limit', ['--chunk-size', '5000'], /invalid --chunk-size "5000"/],
    ['an unknown --mode', ['--mode', 'fast'], /invalid --mode "fast": expected one of auto, struct, dump/],
    ['an unknown --type', ['--type', 'string,bitmap'], /invalid --type "bitmap"/],
  ])('exits 2 on %s', async (_name, args, message) => {
    const base = ['--source', source.url, '--target', target.url];
    const result = await copy(...base, ...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expectOneLine(result.stderr);
  });

  it('exits 2 when no target is given, naming the flag and the variable', async () => {
    const result = await runCli(['copy', '--source', source.url], { MIGRATE_TARGET_URL: '' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/no target given.*\n.*--target <url>.*MIGRATE_TARGET_URL/);
  });

  it('exits 3 when the host refuses connections', async () => {
    const result = await copy('--source', 'redis://127.0.0.1:1', '--target', target.url);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/source: connection refused/);
    expectOneLine(result.stderr);
  });

  it('exits 3 when the host name does not resolve', async () => {
    const result = await copy('--source', source.url, '--target', 'redis://no-such-host.invalid:6379');
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/target: host name not found/);
  });

  it('exits 3 on a wrong password and never prints it', async () => {
    const url = `redis://default:wrong-password-9@127.0.0.1:${guarded.port}`;
    const result = await copy('--source', url, '--target', target.url);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/source: authentication failed/);
    expect(result.stderr + result.stdout).not.toContain('wrong-password-9');
    expectOneLine(result.stderr);
  });

  it('exits 3 on a TLS mismatch (rediss:// to a plain server) and says what to change', async () => {
    const result = await copy('--source', `rediss://127.0.0.1:${source.port}`, '--target', target.url);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/source: TLS handshake did not complete/);
    expect(result.stderr).toMatch(/rediss:\/\//);
    expectOneLine(result.stderr);
  }, 30_000);

  it('stops with exit 1 and a saved checkpoint when the target runs out of memory', async () => {
    const checkpoint = dir.file('oom.json');
    const result = await runCli([
      'copy',
      '--source',
      source.url,
      '--target',
      tiny.url,
      '--mode',
      'struct',
      '--quiet', // a slow machine may print a progress line first
      '--checkpoint',
      checkpoint,
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/target is out of memory/);
    expect(result.stderr).toMatch(/maxmemory.*--resume/);
    expectOneLine(result.stderr);
  });
});
