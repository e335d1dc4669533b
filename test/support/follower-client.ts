/**
 * A stand-in for an application instance of the client library, for the cutover tests: it follows the stage record
 * (polling, as the library does when pub/sub is down), publishes its heartbeat at once on each new epoch, and
 * acknowledges a fence by reporting `holdingWrites` (it writes nothing, so it has nothing to hold or drain).
 */
import { publishHeartbeat, removeHeartbeat } from '../../src/control/heartbeats.js';
import { readStageRecord } from '../../src/control/stage-record.js';
import { openEndpoint } from '../../src/redis/connect.js';
import { heartbeat } from './switch.js';

export async function startFollower(sourceUrl: string, targetUrl: string, id: string) {
  const source = await openEndpoint({ role: 'source', url: sourceUrl });
  const target = await openEndpoint({ role: 'target', url: targetUrl });
  let stopped = false;
  let epoch = -1;
  const epochs: number[] = [];
  const loop = (async () => {
    let lastBeat = 0;
    while (!stopped) {
      const { record } = await readStageRecord({ source, target });
      if (record.epoch !== epoch || Date.now() - lastBeat > 1000) {
        if (record.epoch !== epoch) epochs.push(record.epoch);
        epoch = record.epoch;
        await publishHeartbeat(
          target,
          heartbeat(id, epoch, {
            stage: record.stage,
            percent: record.percent,
            holdingWrites: record.fenced,
          }),
        );
        lastBeat = Date.now();
      }
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
  })();
  return {
    /** Every epoch it routed by, in order. */
    epochs,
    async stop() {
      stopped = true;
      await loop;
      await removeHeartbeat(target, id);
      await Promise.all([source.close(), target.close()]);
    },
  };
}
