import cliProgress from 'cli-progress';
import { formatBytes, formatCount } from './format.js';

export interface ProgressSnapshot {
  done: number;
  total: number;
  bytes: number;
  failed: number;
  label: string;
}

export interface ProgressDisplay {
  update(snapshot: ProgressSnapshot): void;
  stop(): void;
}

const plainEveryMs = 5000;

/**
 * Progress on stderr (stdout stays for the summary or the JSON document): a bar on a TTY, plain periodic lines
 * otherwise, nothing when quiet.
 */
export function createProgress(options: { quiet: boolean; stream?: NodeJS.WriteStream }): ProgressDisplay {
  const stream = options.stream ?? process.stderr;
  if (options.quiet) return { update() {}, stop() {} };
  const started = Date.now();
  const rate = (done: number) => Math.round(done / Math.max((Date.now() - started) / 1000, 0.001));
  if (!stream.isTTY) {
    let last = 0;
    let latest: ProgressSnapshot | undefined;
    let printed: ProgressSnapshot | undefined;
    const print = (s: ProgressSnapshot) => {
      const percent = s.total > 0 ? ` (${Math.min(100, Math.floor((s.done / s.total) * 100))}%)` : '';
      stream.write(
        `${s.label}: ${formatCount(s.done)}/${formatCount(s.total)} keys${percent}, ${formatBytes(s.bytes)}, ${formatCount(rate(s.done))} keys/s, ${formatCount(s.failed)} failed\n`,
      );
    };
    return {
      update(snapshot) {
        latest = snapshot;
        if (Date.now() - last >= plainEveryMs) {
          last = Date.now();
          printed = snapshot;
          print(snapshot);
        }
      },
      stop() {
        if (latest && latest !== printed) print(latest); // the final figures, unless just printed
      },
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format:
        '{label} |{bar}| {percentage}% | {value}/{total} keys | {size} | {rate} keys/s | ETA {eta_formatted} | {failed} failed',
      hideCursor: true,
      etaBuffer: 50,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  let startedBar = false;
  return {
    update(s) {
      const payload = {
        label: s.label,
        size: formatBytes(s.bytes),
        rate: formatCount(rate(s.done)),
        failed: formatCount(s.failed),
      };
      const total = Math.max(s.total, s.done);
      if (!startedBar) {
        bar.start(total, s.done, payload);
        startedBar = true;
      } else {
        bar.setTotal(total);
        bar.update(s.done, payload);
      }
    },
    stop() {
      if (startedBar) bar.stop();
    },
  };
}
