/**
 * Runs a child process to completion and reports its peak resident memory (Linux /proc VmHWM) and the CPU time it
 * used (/proc stat utime + stime), which other load on the machine distorts far less than wall-clock rates.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface Measured {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Peak RSS in bytes, or undefined where /proc is not available. */
  peakRss: number | undefined;
  wallMs: number;
  /** User + system CPU ms of the process, as last sampled (up to one sample period short). */
  cpuMs: number | undefined;
}

const sampleEveryMs = 25;

export function runMeasured(command: string, args: string[]): Promise<Measured> {
  const started = Date.now();
  const child = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  let peakRss: number | undefined;
  let cpuMs: number | undefined;
  // VmHWM is the kernel's own high-water mark, so sampling only has to catch the process before it exits.
  const sample = () => {
    const kb = highWaterKb(child.pid);
    if (kb !== undefined) peakRss = Math.max(peakRss ?? 0, kb * 1024);
    cpuMs = cpuTimeMs(child.pid) ?? cpuMs;
  };
  const timer = setInterval(sample, sampleEveryMs);
  return new Promise((resolve) => {
    child.on('exit', () => clearInterval(timer));
    child.on('close', (code) =>
      resolve({ code, stdout, stderr, peakRss, cpuMs, wallMs: Date.now() - started }),
    );
  });
}

function highWaterKb(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmHWM:\s+(\d+) kB/m.exec(status) ?? /^VmRSS:\s+(\d+) kB/m.exec(status);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined; // exited between samples, or no /proc
  }
}

/** utime + stime from /proc/<pid>/stat (fields 14 and 15, in clock ticks of 10 ms on Linux). */
function cpuTimeMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis are plain numbers.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}
