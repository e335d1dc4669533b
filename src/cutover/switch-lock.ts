/**
 * One cutover or rollback at a time: a lock key on the target (SET NX PX), renewed while the switch runs, so a
 * killed run frees it within its lease. Renewal and release only touch a lock this run holds.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { switchLockKey } from '../control/names.js';
import { ExitCode, MigrateError } from '../errors.js';
import { asText, call, cmd, type RedisPort } from '../redis/port.js';
import { execScripts, scriptCommand } from '../redis/script-runner.js';
import { sleep } from '../retry.js';

const leaseMs = 6000;
const renewEveryMs = 2000;

const renewScript = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;
const releaseScript = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export class SwitchLock {
  private readonly timer: NodeJS.Timeout;
  private lost = false;

  private constructor(
    private readonly target: RedisPort,
    private readonly token: string,
  ) {
    this.timer = setInterval(() => void this.renew(), renewEveryMs);
    this.timer.unref();
  }

  /** Takes the lock, waiting up to `waitMs` for another switch to finish; exit 4 when it does not. */
  static async acquire(target: RedisPort, waitMs: number, signal?: AbortSignal): Promise<SwitchLock> {
    const token = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
    const deadline = Date.now() + waitMs;
    for (;;) {
      const reply = await call(
        target,
        cmd('SET', [switchLockKey, token, 'NX', 'PX', leaseMs], switchLockKey),
      );
      if (asText(reply) === 'OK') return new SwitchLock(target, token);
      if (Date.now() >= deadline || signal?.aborted) {
        const holder = asText(await call(target, cmd('GET', [switchLockKey], switchLockKey)));
        throw new MigrateError(`another cutover or rollback is running (${holder || 'just finished'})`, {
          code: ExitCode.notReady,
          hint: `wait for it (its lock lapses ${leaseMs / 1000} s after it stops), or pass --wait <seconds>`,
        });
      }
      await sleep(250, signal);
    }
  }

  /** Throws when the lease ran out and another switch may have taken over: nothing more may be written. */
  assertHeld(): void {
    if (this.lost)
      throw new MigrateError('lost the switch lock (the target did not answer for a while)', {
        code: ExitCode.notReady,
        hint: 'run `migrate status`, then run the command again',
      });
  }

  private async renew(): Promise<void> {
    const [reply] = await execScripts(
      this.target,
      [scriptCommand(renewScript, switchLockKey, [this.token, leaseMs])],
      [renewScript],
    ).catch(() => [null]);
    if (reply === 0) this.lost = true;
  }

  async release(): Promise<void> {
    clearInterval(this.timer);
    await execScripts(
      this.target,
      [scriptCommand(releaseScript, switchLockKey, [this.token])],
      [releaseScript],
    ).catch(() => {});
  }
}
