import { readFileSync } from 'node:fs';

let version: string | undefined;

/** This library's version, for heartbeats (read once, when the first client starts; never at import time). */
export function libraryVersion(): string {
  if (version !== undefined) return version;
  try {
    // The same relative path from src/client/ and dist/client/.
    const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    version = String(manifest.version ?? '0.0.0');
  } catch {
    version = '0.0.0';
  }
  return version;
}
