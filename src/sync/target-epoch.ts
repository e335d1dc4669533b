import { asText, cmd, type RedisPort } from '../redis/port.js';

/**
 * Notices a target node that restarted (a new run_id): it may have lost what sync wrote (no persistence, or a
 * failover to a replica that lagged), so the caller reconciles. Unanswered probes (target down) say nothing.
 */
export class TargetEpoch {
  private readonly runIds = new Map<string, string>();

  constructor(private readonly target: RedisPort) {}

  /** True when a node answers with another run_id than before. */
  async restarted(): Promise<boolean> {
    let changed = false;
    await Promise.all(
      this.target.nodes().map(async (node) => {
        const [reply] = await this.target.exec([cmd('INFO', ['server'])], node).catch(() => [null]);
        const runId = /run_id:(\w+)/.exec(asText(reply))?.[1];
        if (runId === undefined) return;
        const known = this.runIds.get(node);
        if (known !== undefined && known !== runId) changed = true;
        this.runIds.set(node, runId);
      }),
    );
    return changed;
  }
}
