/**
 * The library applications import (`upstash-elasticache-migrate/client`, built to dist/client/) loads no CLI code,
 * starts nothing at import time, and resolves through the package's subpath export. Runs on the built package
 * (`npm test` builds it first).
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const entry = resolve(root, 'dist/client/index.js');

/** Every module reachable from `start` through static and dynamic imports: our files, and the packages named. */
function importGraph(start: string): { files: string[]; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const pending = [start];
  const specifiers = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g;
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const [, specifier] of readFileSync(file, 'utf8').matchAll(specifiers)) {
      if (specifier!.startsWith('.')) pending.push(resolve(dirname(file), specifier!));
      else if (!specifier!.startsWith('node:')) {
        const parts = specifier!.split('/');
        packages.add(specifier!.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!);
      }
    }
  }
  return { files: [...files].map((file) => relative(root, file)).sort(), packages };
}

describe('the client entry point', () => {
  it('is built', () => {
    expect(existsSync(entry), 'run `npm run build` (npm test does)').toBe(true);
  });

  it('reaches no CLI code: no commander, chalk or cli-progress, nothing of src/commands or src/ui', () => {
    const { files, packages } = importGraph(entry);
    expect(files.length).toBeGreaterThan(10);
    for (const banned of ['commander', 'chalk', 'cli-progress']) expect(packages).not.toContain(banned);
    const cli = files.filter((file) => /^dist\/(commands|ui)\/|^dist\/cli\.js$/.test(file));
    expect(cli).toEqual([]);
    // What it does load: ioredis and its command table, and the slot function.
    expect([...packages].sort()).toEqual(['@ioredis/commands', 'cluster-key-slot', 'ioredis']);
  });

  it('starts nothing when imported, and resolves as upstash-elasticache-migrate/client', async () => {
    const probe = [
      "const client = await import('upstash-elasticache-migrate/client');",
      'const resources = process.getActiveResourcesInfo();',
      'console.log(JSON.stringify({ exports: Object.keys(client).sort(), resources }));',
    ].join('\n');
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', probe], {
      cwd: root,
      timeout: 20_000,
    });
    const { exports, resources } = JSON.parse(stdout) as { exports: string[]; resources: string[] };
    expect(exports).toEqual(['MigrateError', 'MigratingRedis', 'createMigratingClient']);
    // No socket, timer or child process (file reads of the import itself aside): nothing keeps the process alive.
    expect(resources.filter((name) => !/^(TTYWrap|PipeWrap|FSReqCallback|CloseReq)$/.test(name))).toEqual([]);
  });
});
