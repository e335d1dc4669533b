/**
 * TLS endpoints: a redis-server with a certificate from a private CA (made here with openssl). `--tls-ca` trusts the
 * CA, `--tls-insecure` skips verification, and without either the copy stops with exit 3 and says which flag to use.
 * The TLS server is the harness's Redis 7.0 (built with TLS) in either world; skipped where openssl is missing.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasStackTrace, runCli } from './support/cli.js';
import { findExecutable } from './support/executables.js';
import { freePorts } from './support/ports.js';
import { digest, flushAll, startRedis, stopAll, type TestServer } from './support/servers.js';
import { tempDir } from './support/temp-dir.js';

const openssl = findExecutable('openssl');

afterAll(stopAll);

describe.runIf(openssl !== undefined)('copy over TLS', () => {
  const dir = tempDir();
  let secure: TestServer;
  let target: TestServer;
  let tlsUrl: string;

  beforeAll(async () => {
    const run = (...args: string[]) => execFileSync(openssl!, args, { cwd: dir.path, stdio: 'ignore' });
    run(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '2',
      '-subj',
      '/CN=migrate test CA',
    );
    run(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
      '-subj',
      '/CN=127.0.0.1',
    );
    writeFileSync(dir.file('san.cnf'), 'subjectAltName=IP:127.0.0.1\n');
    run(
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.pem',
      '-days',
      '2',
      '-extfile',
      'san.cnf',
    );
    const [tlsPort] = await freePorts(1);
    [secure, target] = await Promise.all([
      startRedis({
        args: [
          ...['--tls-port', String(tlsPort), '--tls-auth-clients', 'no'],
          ...['--tls-cert-file', dir.file('server.pem'), '--tls-key-file', dir.file('server.key')],
          ...['--tls-ca-cert-file', dir.file('ca.pem')],
        ],
      }),
      startRedis(),
    ]);
    tlsUrl = `rediss://127.0.0.1:${tlsPort}`;
    const client = secure.client();
    for (let i = 0; i < 50; i++) await client.set(`tls:${i}`, Buffer.from([i, 0xff, 0x00]));
    await client.hset('tls:hash', 'a', '1');
    client.disconnect();
  }, 60_000);
  afterAll(() => dir.remove());

  const copy = (...extra: string[]) =>
    runCli([
      'copy',
      '--source',
      tlsUrl,
      '--target',
      target.url,
      '--on-conflict',
      'replace',
      '--checkpoint',
      dir.file(`cp-${Math.random()}.json`),
      ...extra,
    ]);

  it('copies from a server whose certificate a private CA signed, given --tls-ca', async () => {
    await flushAll(target);
    const result = await copy('--tls-ca', dir.file('ca.pem'));
    expect(result.stderr).not.toMatch(/TLS/);
    expect(result.code).toBe(0);
    expect(await digest(target)).toBe(await digest(secure));
  });

  it('refuses the unknown CA without --tls-ca: exit 3, one line naming the flags', async () => {
    const result = await copy();
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/source: TLS handshake failed/);
    expect(result.stderr).toMatch(/--tls-ca <file>.*--tls-insecure/);
    expect(result.stderr).toMatch(/^migrate: /);
    expect(hasStackTrace(result.stderr)).toBe(false);
    expect(result.stderr.trim().split('\n')).toHaveLength(2); // the message and its hint
  });

  it('copies without verifying the certificate with --tls-insecure', async () => {
    await flushAll(target);
    const result = await copy('--tls-insecure');
    expect(result.code).toBe(0);
    expect(await digest(target)).toBe(await digest(secure));
  });
});
