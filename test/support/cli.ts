import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SwitchReport } from '../../src/cutover/report.js';

const bin = fileURLToPath(new URL('../../bin/migrate', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A running `migrate` process (built CLI from dist/, as users run it). */
export interface CliProcess {
  child: ChildProcess;
  /** Resolves when the process exits. */
  done: Promise<CliResult>;
  /** Resolves once stderr or stdout has printed text matching the pattern; rejects if the process exits first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

export function startCli(args: string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  const child = spawn(process.execPath, [bin, ...args], {
    env: { ...process.env, FORCE_COLOR: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const listener of listeners) listener();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    for (const listener of listeners) listener();
  });
  const done = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  const waitFor = (pattern: RegExp, timeoutMs = 30_000) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (pattern.test(stdout) || pattern.test(stderr)) {
          listeners.delete(check);
          clearTimeout(timer);
          resolve();
        }
      };
      const fail = (why: string) => {
        listeners.delete(check);
        clearTimeout(timer);
        reject(new Error(`${why} waiting for ${pattern}; stderr so far: ${stderr.slice(-500)}`));
      };
      const timer = setTimeout(() => fail('timed out'), timeoutMs);
      listeners.add(check);
      check();
      // Output ends with the process: one that exited without printing it never will.
      void done.then(({ code }) => {
        check();
        if (listeners.has(check)) fail(`exited with ${code}`);
      });
    });
  return { child, done, waitFor };
}

/** Runs `migrate` to completion. */
export const runCli = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> =>
  startCli(args, env).done;

/** True when text looks like a stack trace (errors must be one line unless --debug). */
export const hasStackTrace = (text: string): boolean => /\n\s+at .+\(.+:\d+:\d+\)/.test(text);

/**
 * `migrate cutover|rollback` with `--json`, as an operator runs it: the parsed report. Any exit but 0 throws with the
 * command's stderr (the gate that failed, or the error), so a test fails saying why.
 */
export async function migrateSwitch(
  command: 'cutover' | 'rollback',
  ends: readonly string[],
  ...flags: string[]
): Promise<SwitchReport> {
  const result = await runCli([command, ...ends, '--json', ...flags]);
  if (result.code !== 0) {
    throw new Error(
      `migrate ${command} ${flags.join(' ')} exited ${result.code}: ${result.stderr.slice(-3000)}`,
    );
  }
  return JSON.parse(result.stdout) as SwitchReport;
}

/** `migrate sync` in its own process, once it streams; stop() ends it with SIGINT (it drains first). */
export async function startSyncCli(
  ends: readonly string[],
  ...flags: string[]
): Promise<{ process: CliProcess; stop(): Promise<CliResult> }> {
  const stateDir = mkdtempSync(join(tmpdir(), 'migrate-sync-cli-'));
  const sync = startCli(['sync', ...ends, '--state-dir', stateDir, '--json', ...flags]);
  await Promise.race([
    sync.waitFor(/"stage":"streaming"/, 30_000),
    sync.done.then((r) => {
      throw new Error(`migrate sync exited ${r.code} before streaming: ${r.stderr.slice(-2000)}`);
    }),
  ]);
  return {
    process: sync,
    async stop() {
      if (sync.child.exitCode === null) sync.child.kill('SIGINT');
      return sync.done;
    },
  };
}
