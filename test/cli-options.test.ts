/** argv → options, per command: what each flag becomes, the defaults, refusals, and where exit codes come from. */
import { readFileSync } from 'node:fs';
import { type Command, CommanderError } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildProgram } from '../src/cli.js';
import { type CopyFlags, copyOptions } from '../src/commands/copy.js';
import { CommandEnded, exitCodeOf } from '../src/commands/exit.js';
import { type SwitchFlags, switchOptions, switchRequest } from '../src/commands/switch-run.js';
import { type SyncFlags, syncOptions } from '../src/commands/sync.js';
import { type VerifyFlags, verifyOptions } from '../src/commands/verify.js';
import { defaultCopyOptions, writePolicy } from '../src/copy/options.js';
import { defaultSwitchOptions } from '../src/cutover/options.js';
import { ExitCode, MigrateError } from '../src/errors.js';
import { sourceRate, upstashDefaultRate } from '../src/redis/rate-limit.js';
import { defaultSyncOptions } from '../src/sync/options.js';
import { defaultVerifyOptions } from '../src/verify/options.js';
import { runCli } from './support/cli.js';

/** The flags commander hands `name` for `argv` (the program's global flags included), without running it. */
async function flagsOf<F>(name: string, argv: string[], before: string[] = []): Promise<F> {
  const program = buildProgram();
  const command = program.commands.find((c) => c.name() === name);
  if (!command) throw new Error(`no command ${name}`);
  let flags: F | undefined;
  command.action((_options: unknown, self: Command) => {
    flags = self.optsWithGlobals() as F;
  });
  await program.parseAsync([...before, name, ...argv], { from: 'user' });
  if (!flags) throw new Error('the action did not run');
  return flags;
}

const usage = { name: 'MigrateError', code: ExitCode.usage };

describe('migrate copy: argv → CopyOptions', () => {
  const copy = async (...argv: string[]) => copyOptions(await flagsOf<CopyFlags>('copy', argv));

  it('takes every default from defaultCopyOptions, refusing a target that holds keys', async () => {
    expect(await copy()).toEqual(defaultCopyOptions);
    expect(defaultCopyOptions).toMatchObject({ onConflict: 'refuse', rate: undefined });
  });

  it.each([
    [['--match', 'user:*'], { match: 'user:*' }],
    [['--type', 'hash, string'], { types: ['hash', 'string'] }],
    [['--batch', '100', '--concurrency', '8'], { batch: 100, concurrency: 8 }],
    [['--mode', 'dump'], { mode: 'dump' }],
    [['--chunk-size', '1900'], { chunkSize: 1900 }],
    [['--on-conflict', 'refuse'], { onConflict: 'refuse' }],
    [['--on-conflict', 'skip'], { onConflict: 'skip' }],
    [['--rate', '2000'], { rate: 2000 }],
    [['--dry-run', '--resume'], { dryRun: true, resume: true }],
    [['--checkpoint', 'state/cp.json'], { checkpointFile: 'state/cp.json' }],
  ])('%j', async (argv, expected) => {
    expect(await copy(...argv)).toEqual({ ...defaultCopyOptions, ...expected });
  });

  it.each([
    [
      ['--on-conflict', 'merge'],
      /invalid --on-conflict "merge": expected one of refuse, replace, skip, fail/,
    ],
    [['--chunk-size', '1901'], /invalid --chunk-size "1901"/],
    [['--type', 'hash,blob'], /invalid --type "blob"/],
    [['--rate', '0'], /invalid --rate "0"/],
  ])('refuses %j as a usage error', async (argv, message) => {
    await expect(copy(...argv)).rejects.toMatchObject({ ...usage, message: expect.stringMatching(message) });
  });
});

describe('migrate sync: argv → SyncOptions', () => {
  const sync = async (...argv: string[]) => syncOptions(await flagsOf<SyncFlags>('sync', argv));

  it('takes every default from defaultSyncOptions', async () => {
    expect(await sync()).toEqual(defaultSyncOptions);
  });

  it.each([
    [['--match', 's:*'], { match: 's:*' }],
    [['--configure-notifications'], { configureNotifications: true }],
    [['--state-dir', 'st'], { stateDir: 'st' }],
    [['--max-retries', '3', '--drain-timeout', '0'], { maxRetries: 3, drainTimeoutMs: 0 }],
    [['--rate', '100'], { rate: 100 }],
    [['--skip-initial-copy'], { skipInitialCopy: true }],
  ])('%j', async (argv, expected) => {
    expect(await sync(...argv)).toEqual({ ...defaultSyncOptions, ...expected });
  });
});

describe('migrate verify: argv → VerifyOptions', () => {
  const verify = async (...argv: string[]) => verifyOptions(await flagsOf<VerifyFlags>('verify', argv));

  it('takes every default from defaultVerifyOptions: a sample, no rate cap', async () => {
    expect(await verify()).toEqual(defaultVerifyOptions);
  });

  it.each([
    [['--full'], { mode: 'full' }],
    [['--sample', '50'], { mode: 'sample', sample: 50 }],
    [
      ['--match', 'a:*', '--ttl-tolerance', '0', '--recheck', '10'],
      { match: 'a:*', ttlToleranceMs: 0, recheckMs: 10 },
    ],
    [['--repair', '--max-examples', '0'], { repair: true, maxExamples: 0 }],
    [['--rate', '10'], { rate: 10 }],
  ])('%j', async (argv, expected) => {
    expect(await verify(...argv)).toEqual({ ...defaultVerifyOptions, ...expected });
  });

  it('refuses --sample with --full', async () => {
    await expect(verify('--sample', '5', '--full')).rejects.toMatchObject(usage);
  });
});

describe('flags every command shares', () => {
  it('declares --json, --quiet and --debug once, on the program, for every command', () => {
    const program = buildProgram();
    expect(program.options.map((o) => o.long)).toEqual(
      expect.arrayContaining(['--version', '--json', '--quiet', '--debug']),
    );
    expect(program.commands.map((c) => c.name()).sort()).toEqual([
      'copy',
      'cutover',
      'rollback',
      'status',
      'sync',
      'verify',
    ]);
    for (const command of program.commands) {
      const own = command.options.map((o) => o.long);
      expect(own).not.toContain('--json');
      expect(own).toEqual(expect.arrayContaining(['--source', '--target', '--tls-insecure']));
    }
  });

  it.each(['copy', 'sync', 'verify', 'status'])('%s takes them before or after its name', async (name) => {
    expect(await flagsOf(name, ['--json', '--quiet', '--debug'])).toMatchObject({
      json: true,
      quiet: true,
      debug: true,
    });
    expect(await flagsOf(name, [], ['--json'])).toMatchObject({ json: true });
    expect(await flagsOf<{ json?: boolean }>(name, [])).not.toHaveProperty('json');
  });

  it('caps an Upstash source at the default rate unless --rate says otherwise', () => {
    expect(sourceRate({ upstash: true })).toBe(upstashDefaultRate);
    expect(sourceRate({ upstash: true }, 100)).toBe(100);
    expect(sourceRate({ upstash: false })).toBeUndefined();
    expect(sourceRate({ upstash: false }, 5)).toBe(5);
  });

  it("writes with 'replace' once 'refuse' has let the run start; the other policies as they are", () => {
    expect(['refuse', 'replace', 'skip', 'fail'].map((p) => writePolicy(p as never))).toEqual([
      'replace',
      'replace',
      'skip',
      'fail',
    ]);
  });
});

describe('exit codes (one place: exitCodeOf)', () => {
  afterEach(() => vi.restoreAllMocks());

  const refused = new MigrateError('target: connection refused', {
    code: ExitCode.connect,
    hint: 'check it',
  });
  it.each([
    ['a command that was done', undefined, ExitCode.ok, 0],
    [
      'keys failed or data differs (the report says which)',
      new CommandEnded('incomplete'),
      ExitCode.incomplete,
      0,
    ],
    ['stopped by a signal', new CommandEnded('interrupted'), ExitCode.interrupted, 0],
    ['help shown', new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)'), ExitCode.ok, 0],
    ['version shown', new CommanderError(0, 'commander.version', '0.1.0'), ExitCode.ok, 0],
    [
      'an unknown flag (commander said so)',
      new CommanderError(1, 'commander.unknownOption', '?'),
      ExitCode.usage,
      0,
    ],
    ['a refused connection: the error, then its hint', refused, ExitCode.connect, 2],
    ['a bug: the error, then to rerun with --debug', new Error('boom'), ExitCode.incomplete, 2],
  ])('%s', (_what, ended, code, linesOnStderr) => {
    const stderr = vi.spyOn(process.stderr, 'write').mockReturnValue(true);
    expect(exitCodeOf(ended, {})).toBe(code);
    const written = stderr.mock.calls.map((call) => String(call[0])).join('');
    expect(written.split('\n').filter(Boolean)).toHaveLength(linesOnStderr);
    if (linesOnStderr > 0) expect(written).toMatch(/^migrate: .+\n {2}→ .+\n$/);
  });

  it('reports an error as one JSON document on stdout with --json, and the stack with --debug', () => {
    const stdout = vi.spyOn(process.stdout, 'write').mockReturnValue(true);
    const stderr = vi.spyOn(process.stderr, 'write').mockReturnValue(true);
    const error = new MigrateError('target holds keys', { code: ExitCode.usage, hint: 'pass --on-conflict' });
    expect(exitCodeOf(error, { json: true, debug: true })).toBe(ExitCode.usage);
    expect(JSON.parse(String(stdout.mock.calls[0]?.[0]))).toEqual({
      ok: false,
      error: 'target holds keys',
      hint: 'pass --on-conflict',
    });
    expect(stderr.mock.calls.map((call) => String(call[0])).join('')).toMatch(/\n\s+at /);
  });
});

describe('migrate --version and --help (the built CLI)', () => {
  const upstash = 'rediss://default:pw@eu1-example.upstash.io:6379';
  const elasticache = 'rediss://clustercfg.my-cache.abc123.use1.cache.amazonaws.com:6379';

  it('prints the version of package.json', async () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    const result = await runCli(['--version']);
    expect(result).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it.each(['copy', 'sync', 'verify', 'status'])(
    '%s --help ends with two or three examples that parse',
    async (name) => {
      const result = await runCli([name, '--help']);
      expect(result.code).toBe(0);
      const tail = result.stdout.split('\nExamples:\n')[1] ?? '';
      const lines = tail.trimEnd().split('\n');
      const runs = lines.filter((line) => line.startsWith(`  migrate ${name}`));
      expect(runs.length).toBeGreaterThanOrEqual(2);
      expect(runs.length).toBeLessThanOrEqual(3);
      expect(lines.length).toBe(runs.length * 2); // each one under its `# why`
      for (const run of runs) {
        const words = [...run.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
        const argv = words.slice(2, words.includes('>') ? words.indexOf('>') : undefined);
        const expanded = argv.map((w) => w.replace('$UPSTASH', upstash).replace('$ELASTICACHE', elasticache));
        const flags = await flagsOf<CopyFlags & SyncFlags & VerifyFlags>(name, expanded);
        if (name === 'copy') copyOptions(flags);
        if (name === 'sync') syncOptions(flags);
        if (name === 'verify') verifyOptions(flags);
      }
    },
  );
});

describe('migrate cutover / rollback: argv → SwitchOptions and request', () => {
  const parsed = async (name: 'cutover' | 'rollback', ...argv: string[]) => {
    const flags = await flagsOf<SwitchFlags>(name, argv);
    return { options: switchOptions(flags), request: () => switchRequest(flags, name) };
  };

  it('holds a fenced switch’s pause 30 s by default, --fence-hold seconds when given', async () => {
    expect((await parsed('cutover', '--window', '--fence')).options.fenceHoldMs).toBe(
      defaultSwitchOptions.fenceHoldMs,
    );
    expect(defaultSwitchOptions.fenceHoldMs).toBe(30_000);
    const held = await parsed('rollback', '--window', '--fence', '--fence-hold', '0');
    expect(held.options.fenceHoldMs).toBe(0);
    expect(held.request()).toMatchObject({ window: true, fence: true });
  });

  it('refuses --fence-hold without --fence (exit 2)', async () => {
    const { request } = await parsed('cutover', '--window', '--fence-hold', '5');
    expect(request).toThrow(expect.objectContaining({ ...usage, message: '--fence-hold needs --fence' }));
  });
});
