import { ExitCode, MigrateError } from '../../errors.js';

/** What an HTTP failure means for the run: stop it, fail the entries with the server's message, or retry. */
export type HttpFailure =
  | { kind: 'fatal'; error: MigrateError }
  | { kind: 'entries'; error: Error }
  | { kind: 'transient'; error: Error };

const tokenHint =
  'check --source-token (or UPSTASH_REDIS_REST_TOKEN): the REST token from the Upstash console';

/**
 * Maps a non-2xx REST answer. 401/403 end the run (exit 3); a 4xx with an error body (quota, a refused command) is
 * given to every command of the request, so the engines see it like a TCP error reply; 5xx is worth a retry.
 */
export function httpFailure(role: string, label: string, status: number, body: string): HttpFailure {
  const detail = errorText(body);
  if (status === 401) {
    return {
      kind: 'fatal',
      error: new MigrateError(`${role}: token rejected by ${label} (HTTP 401)`, {
        code: ExitCode.connect,
        hint: tokenHint,
      }),
    };
  }
  if (status === 403) {
    const error = new MigrateError(
      `${role}: token not allowed by ${label} (HTTP 403${detail ? `: ${detail}` : ''})`,
      {
        code: ExitCode.connect,
        hint: `${tokenHint}; a read-only token may not run scripts`,
      },
    );
    return { kind: 'fatal', error };
  }
  if (status === 413) {
    return {
      kind: 'entries',
      error: new Error(`request too large for the REST endpoint (HTTP 413); lower --batch`),
    };
  }
  if (status >= 400 && status < 500) {
    return { kind: 'entries', error: new Error(detail || `REST endpoint answered HTTP ${status}`) };
  }
  return {
    kind: 'transient',
    error: new Error(`${role}: ${label} answered HTTP ${status}${detail ? `: ${detail}` : ''}`),
  };
}

/** The `error` of a JSON body, else the text itself (short). */
function errorText(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === 'object' && 'error' in parsed) return String(parsed.error);
  } catch {
    // not JSON: fall through to the raw text
  }
  return body.trim().slice(0, 200);
}
