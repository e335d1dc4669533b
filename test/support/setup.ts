import { afterAll } from 'vitest';
import { stopAll } from './servers.js';

// A safety net: servers a test file forgot to stop are stopped when the file ends.
afterAll(async () => {
  await stopAll();
});
