import { ExitCode, MigrateError } from '../errors.js';
import { ensureNotifications } from '../redis/notifications.js';
import type { RedisPort } from '../redis/port.js';

const parameterGroupHint =
  'on ElastiCache, set notify-keyspace-events in the parameter group (CONFIG is blocked there)';

/**
 * Makes sure every source master publishes the keyevent notifications sync relies on; turns them on with consent
 * (CONFIG SET, which Upstash allows), else refuses (exit 2) with the way to enable them.
 */
export async function requireNotifications(source: RedisPort, consent: boolean): Promise<void> {
  const report = await ensureNotifications(source, { consent, consentFlag: '--configure-notifications' });
  if (report.ready) return;
  const guidance = report.guidance ?? 'enable keyspace notifications on the source';
  throw new MigrateError(
    `source ${source.label}: keyspace notifications are off or incomplete; sync cannot see changes`,
    {
      code: ExitCode.usage,
      hint: /parameter group/.test(guidance) ? guidance : `${guidance}; ${parameterGroupHint}`,
    },
  );
}
