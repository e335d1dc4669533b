/**
 * The engines tests can run: Redis 7.0 (the redis-server on PATH, Debian's) and Valkey 8.1 / Redis 8.0, built from
 * Debian trixie's source packages by scripts/build-engines.sh into a cache outside the repository. A missing engine
 * is never replaced silently: testEngines() says once per test process which ones run and which fall back.
 */
import { execFileSync } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { findExecutable, isExecutable } from './executables.js';

export type EngineName = 'redis-7.0' | 'valkey-8.1' | 'redis-8.0';

export const ENGINE_NAMES: readonly EngineName[] = ['redis-7.0', 'valkey-8.1', 'redis-8.0'];

/** The engine used where a test names none, and the stand-in for one that is not built. */
export const DEFAULT_ENGINE: EngineName = 'redis-7.0';

export interface EngineBinaries {
  server: string;
  cli: string;
}

/** The engine a test server really runs, e.g. { name: 'valkey-8.1', product: 'valkey', version: '8.1.1' }. */
export interface RunningEngine {
  readonly name: EngineName;
  readonly product: 'redis' | 'valkey';
  /** What the server itself reports (`--version`, or INFO in a container). */
  readonly version: string;
}

/** Where scripts/build-engines.sh puts the engines it builds (MIGRATE_ENGINES_DIR overrides). */
export function enginesDir(): string {
  return (
    process.env.MIGRATE_ENGINES_DIR || join(homedir(), '.cache', 'upstash-elasticache-migrate', 'engines')
  );
}

export const productOf = (name: EngineName): RunningEngine['product'] =>
  name.startsWith('valkey') ? 'valkey' : 'redis';

/** The server and cli binaries of an engine, or undefined when it is not installed (or not built). */
export function engineBinaries(name: EngineName): EngineBinaries | undefined {
  if (name === 'redis-7.0') {
    const [server, cli] = [findExecutable('redis-server'), findExecutable('redis-cli')];
    return server && cli ? { server, cli } : undefined;
  }
  const bin = join(enginesDir(), name, 'bin');
  const product = productOf(name);
  const binaries = { server: join(bin, `${product}-server`), cli: join(bin, `${product}-cli`) };
  return isExecutable(binaries.server) && isExecutable(binaries.cli) ? binaries : undefined;
}

let available: readonly EngineName[] | undefined;

/**
 * The engines this test process can start, in ENGINE_NAMES order. The first call prints one line, e.g.
 * `[test/support] engines: redis-7.0, valkey-8.1, redis-8.0`, or names each missing engine and its fallback.
 */
export function testEngines(): readonly EngineName[] {
  if (available) return available;
  const found = ENGINE_NAMES.filter((name) => engineBinaries(name) !== undefined);
  const missing = ENGINE_NAMES.filter((name) => !found.includes(name) && name !== DEFAULT_ENGINE);
  const notes = missing.map(
    (name) => `${name} missing (run scripts/build-engines.sh), falling back to ${DEFAULT_ENGINE}`,
  );
  if (!found.includes(DEFAULT_ENGINE))
    notes.push(`${DEFAULT_ENGINE} missing (redis-server and redis-cli not on PATH)`);
  console.info(`[test/support] engines: ${[found.join(', '), ...notes].filter(Boolean).join('; ')}`);
  available = found;
  return available;
}

export const hasEngine = (name: EngineName): boolean => testEngines().includes(name);

/** The engine that runs when a test asks for `wanted`: itself, or the announced fallback. */
export function resolveEngine(wanted: EngineName = DEFAULT_ENGINE): EngineName {
  return hasEngine(wanted) ? wanted : DEFAULT_ENGINE;
}

/**
 * The engines a parameterized suite runs on: each of `wanted` that is built, and the fallback once for the others
 * (so a machine without the builds runs the suite once on redis-7.0, as the first line says, not twice).
 */
export function engineMatrix(...wanted: EngineName[]): EngineName[] {
  return [...new Set(wanted.map((name) => resolveEngine(name)))];
}

/** The binaries of `name` (after resolveEngine), or an error saying what to install. */
export function requireEngine(name: EngineName): EngineBinaries {
  const binaries = engineBinaries(name);
  if (binaries) return binaries;
  const how = name === DEFAULT_ENGINE ? 'apt-get install redis-server' : 'scripts/build-engines.sh';
  throw new Error(`engine ${name} is not installed (${how})`);
}

const versions = new Map<string, string>();

/** Names the engine a server binary runs, asking the binary itself for its version (once per binary). */
export function identifyEngine(name: EngineName, serverBinary: string): RunningEngine {
  let version = versions.get(serverBinary);
  if (version === undefined) {
    const output = execFileSync(serverBinary, ['--version'], { encoding: 'utf8' });
    version = /\bv=(\S+)/.exec(output)?.[1] ?? 'unknown';
    versions.set(serverBinary, version);
  }
  return { name, product: productOf(name), version };
}
