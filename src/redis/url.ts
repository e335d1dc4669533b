import { usageError } from '../errors.js';

export type EndpointProtocol = 'redis' | 'rediss' | 'http' | 'https';

/** A parsed endpoint address. `label` is the only form that may be printed: credentials are redacted. */
export interface EndpointAddress {
  protocol: EndpointProtocol;
  host: string;
  port: number;
  username: string | undefined;
  password: string | undefined;
  db: number;
  tls: boolean;
  label: string;
}

const defaultPorts: Record<EndpointProtocol, number> = { redis: 6379, rediss: 6379, http: 80, https: 443 };

/** Parses `redis://`, `rediss://` (TLS) and `http(s)://` (Upstash REST) endpoint URLs. */
export function parseEndpointUrl(raw: string, role: string): EndpointAddress {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw usageError(
      `${role}: invalid URL ${redactUrl(raw)}`,
      'use redis://[user:password@]host:port[/db], rediss:// for TLS, or https://… for Upstash REST',
    );
  }
  const protocol = url.protocol.replace(/:$/, '') as EndpointProtocol;
  if (!(protocol in defaultPorts)) {
    throw usageError(
      `${role}: unsupported scheme "${url.protocol}" in ${redactUrl(raw)}`,
      'use redis://, rediss:// (TLS) or https:// (Upstash REST)',
    );
  }
  if (!url.hostname) throw usageError(`${role}: the URL ${redactUrl(raw)} has no host`);
  const port = url.port ? Number(url.port) : defaultPorts[protocol];
  const dbText = url.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0 || (protocol.startsWith('http') && dbText !== '')) {
    throw usageError(
      `${role}: invalid database "${dbText}" in ${redactUrl(raw)}`,
      'the path must be a database number, e.g. /0',
    );
  }
  return {
    protocol,
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port,
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db,
    tls: protocol === 'rediss' || protocol === 'https',
    label: redactUrl(raw),
  };
}

/** Replaces the password (or a lone token in the user part) of a URL with `***`; safe on malformed input. */
export function redactUrl(raw: string): string {
  return raw.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^@/]*)@/i, (_m, scheme: string, auth: string) => {
    const colon = auth.indexOf(':');
    return colon === -1 ? `${scheme}***@` : `${scheme}${auth.slice(0, colon)}:***@`;
  });
}

/** Removes every occurrence of the given secrets from a message (errors from libraries may echo them). */
export function scrubSecrets(text: string, secrets: ReadonlyArray<string | undefined>): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 3) out = out.split(secret).join('***');
  }
  return out;
}
