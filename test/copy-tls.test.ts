/**
 * TLS endpoints: a redis-server with a certificate from a private CA (made here with openssl). `--tls-ca` trusts the
 * CA, `--tls-insecure` skips verification, and without either the copy stops with exit 3 and says which flag to use.
 * The TLS server is the harness's Redis 7.0 (built with TLS) in either world; skipped where openssl is missing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasStackTrace, runCli } from './support/cli.js';
import { freePorts } from './support/ports.js';
import { digest, flushAll, startRedis, stopAll, type TestServer } from './support/servers.js';
import { tempDir } from './support/temp-dir.js';
import { makeCertificates, openssl } from './support/tls-certs.js';

afterAll(stopAll);

describe.runIf(openssl !== undefined)('copy over TLS', () => {
  const dir = tempDir();
  let secure: TestServer;
  let target: TestServer;
  let tlsUrl: string;

  beforeAll(async () => {
    const certs = makeCertificates(dir.path);
    const [tlsPort] = await freePorts(1);
    [secure, target] = await Promise.all([
      startRedis({
        args: [
          ...['--tls-port', String(tlsPort), '--tls-auth-clients', 'no'],
          ...['--tls-cert-file', certs.cert, '--tls-key-file', certs.key],
          ...['--tls-ca-cert-file', certs.ca],
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
