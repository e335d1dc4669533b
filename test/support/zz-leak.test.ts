import { it } from 'vitest';
import { startCluster, startRedis } from './servers.js';
it('leaks on purpose', async () => {
  await startRedis();
  await startCluster();
}, 30_000);
