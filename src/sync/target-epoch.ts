import { asText, cmd, type RedisPort } from '../redis/port.js';

/**
 * A probe unanswered this long counts the node as unreachable, even while the probe still waits: a command sent
 * during an outage waits in the client's queue and is answered once the node is back, so without this a probe
 * could span a whole outage and never see it.
 */
const unansweredAfterMs = 1000;

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
        const slow = setTimeout(() => this.unanswered.add(node), unansweredAfterMs);
        const [reply] = await this.target.exec([cmd('INFO', ['server'])], node).catch(() => [null]);
        clearTimeout(slow);
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
