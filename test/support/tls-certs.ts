/** A private CA and a server certificate for 127.0.0.1 it signed, made with openssl, for TLS endpoints in tests. */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findExecutable } from './executables.js';

export interface TestCertificates {
  /** PEM file of the CA: what a client passes with --tls-ca. */
  ca: string;
  /** PEM files of the server's certificate and key. */
  cert: string;
  key: string;
}

export const openssl = findExecutable('openssl');

/** Writes ca.pem, server.pem and server.key into `dir` (valid two days). Needs openssl on PATH. */
export function makeCertificates(dir: string): TestCertificates {
  if (!openssl) throw new Error('openssl is not on PATH (needed to make test certificates)');
  const run = (...args: string[]) => execFileSync(openssl, args, { cwd: dir, stdio: 'ignore' });
  const newKey = ['-newkey', 'rsa:2048', '-nodes'];
  run(
    'req',
    '-x509',
    ...newKey,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=migrate test CA',
  );
  run('req', ...newKey, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(join(dir, 'san.cnf'), 'subjectAltName=IP:127.0.0.1\n');
  const signing = [
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'san.cnf',
  ];
  run('x509', '-req', '-in', 'server.csr', ...signing, '-out', 'server.pem');
  return { ca: join(dir, 'ca.pem'), cert: join(dir, 'server.pem'), key: join(dir, 'server.key') };
}
