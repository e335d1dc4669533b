import type { ClientHeartbeat } from '../control/heartbeats.js';
import { publishHeartbeat, removeHeartbeat } from '../control/heartbeats.js';
import type { RedisPort } from '../redis/port.js';

/**
 * Publishes this instance's heartbeat on the target every `everyMs` (TTL'd: a dead instance drops out), and at once
 * when asked (a new epoch applied: the cutover waits about one round trip, not a period). One publish at a time: a
 * target that does not answer is not sent a pile of them, and the newest state goes once it answers.
 */
export class HeartbeatPublisher {
  private timer: NodeJS.Timeout | undefined;
  private sending = false;
  private again = false;
  private stopped = false;

  constructor(
    private readonly target: RedisPort,
    private readonly build: () => ClientHeartbeat | undefined,
    private readonly everyMs: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.publish(), this.everyMs);
  }

  publish(): void {
    if (this.stopped) return;
    if (this.sending) {
      this.again = true;
      return;
    }
    const heartbeat = this.build();
    if (!heartbeat) return;
    this.sending = true;
    void publishHeartbeat(this.target, heartbeat)
      .catch(() => {}) // the target is down: the next period tries again
      .finally(() => {
        this.sending = false;
        if (this.again) {
          this.again = false;
          this.publish();
        }
      });
  }

  /** Stops publishing and removes the heartbeat (a clean shutdown), waiting at most `withinMs`. */
  async stop(id: string, withinMs: number): Promise<void> {
    clearInterval(this.timer);
    this.stopped = true;
    await Promise.race([
      removeHeartbeat(this.target, id).catch(() => {}),
      new Promise((resolve) => setTimeout(resolve, withinMs).unref()),
    ]);
  }
}
