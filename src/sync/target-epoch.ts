import { asText, cmd, type RedisPort } from '../redis/port.js';

/** What a probe of the target found: a node that restarted, one that answers again after an outage, or neither. */
export type TargetChange = 'restarted' | 'back' | undefined;

/**
 * Notices a target node that restarted (a new run_id): it may have lost what sync wrote (no persistence, or a
 * failover to a replica that lagged), so the caller reconciles. Also notices a node that answers again after
 * unanswered probes (target down, network cut), so the caller retries at once what failed meanwhile.
 */
export class TargetEpoch {
  private readonly runIds = new Map<string, string>();
  private readonly unanswered = new Set<string>();

  constructor(private readonly target: RedisPort) {}

  async probe(): Promise<TargetChange> {
    let restarted = false;
    let back = false;
    await Promise.all(
      this.target.nodes().map(async (node) => {
        const [reply] = await this.target.exec([cmd('INFO', ['server'])], node).catch(() => [null]);
        const runId = /run_id:(\w+)/.exec(asText(reply))?.[1];
        if (runId === undefined) {
          this.unanswered.add(node);
          return;
        }
        if (this.unanswered.delete(node)) back = true;
        const known = this.runIds.get(node);
        if (known !== undefined && known !== runId) restarted = true;
        this.runIds.set(node, runId);
      }),
    );
    return restarted ? 'restarted' : back ? 'back' : undefined;
  }
}
