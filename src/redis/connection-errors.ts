import { ExitCode, MigrateError, messageOf } from '../errors.js';
import { scrubSecrets } from './url.js';

/** Turns a connect-time failure into a one-line operator message with exit code 3 and what to do next. */
export function connectionError(
  role: string,
  label: string,
  error: unknown,
  secrets: Array<string | undefined>,
  tls = false,
): MigrateError {
  const raw = scrubSecrets(messageOf(error), secrets);
  const code = (error as { code?: string } | null)?.code ?? '';
  const text = `${code} ${raw}`;
  const fail = (what: string, hint: string) =>
    new MigrateError(`${role}: ${what} (${label})`, { code: ExitCode.connect, hint, cause: error });

  if (/WRONGPASS|NOAUTH|invalid password|invalid username-password|AUTH.*(failed|invalid)/i.test(text)) {
    return fail('authentication failed', 'check the user and password in the URL (they are never printed)');
  }
  if (/ENOTFOUND|EAI_AGAIN/.test(text)) {
    return fail('host name not found', 'check the host name in the URL');
  }
  if (/ECONNREFUSED/.test(text)) {
    return fail(
      'connection refused',
      'check the host and port, and that the server is running and reachable',
    );
  }
  if (
    /certificate|self[- ]signed|unable to verify|CERT_|ERR_TLS|wrong version number|SSL|TLS|secure TLS connection/i.test(
      text,
    )
  ) {
    return fail(
      `TLS handshake failed: ${raw}`,
      'use rediss:// only for TLS endpoints and redis:// for plain ones; pass --tls-ca <file> for a private CA (or --tls-insecure to skip verification)',
    );
  }
  if (tls && /ETIMEDOUT|timed? ?out|ECONNRESET|Connection is closed/i.test(text)) {
    return fail(
      `TLS handshake did not complete: ${raw}`,
      'the server may not speak TLS: use redis:// for plain endpoints (ElastiCache and Upstash need rediss://)',
    );
  }
  if (/ETIMEDOUT|timed? ?out|ECONNRESET|Connection is closed|EHOSTUNREACH|ENETUNREACH/i.test(text)) {
    return fail(
      `no answer from the server: ${raw}`,
      'check network access (security groups, VPC) and whether the endpoint needs TLS (rediss://)',
    );
  }
  return fail(raw, 'check the URL, the credentials and that the server is reachable');
}
