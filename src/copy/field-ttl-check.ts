import { usageError } from '../errors.js';
import { holdsFieldTtls, sourceHoldsFieldTtls } from '../keys/field-ttl.js';
import { asText, call, cmd, type RedisPort } from '../redis/port.js';
import { surveyKeys } from './dry-run.js';
import type { CopyOptions } from './options.js';

/**
 * Refuses, before anything is written, a copy that would lose hash-field expiries silently: the target cannot hold
 * them (Redis < 7.4, Valkey < 9), the source's hashes carry some, and --field-ttl says neither drop nor skip-fields.
 * Counting them takes a survey of the source (what --dry-run sends), only when both probes say it may matter and
 * the source's INFO keyspace does not already say that no key has any (`subexpiry=0`).
 */
export async function refuseLostFieldTtls(
  source: RedisPort,
  target: RedisPort,
  options: CopyOptions,
): Promise<void> {
  if (options.fieldTtl !== 'keep' || (await holdsFieldTtls(target))) return;
  if (!(await sourceHoldsFieldTtls(source)) || (await noSubexpiries(source))) return;
  const survey = await surveyKeys(source, { ...options, rate: undefined });
  if (survey.fieldTtlKeys === 0) return;
  throw usageError(
    `target ${target.label} cannot hold hash-field expiries, and ${survey.fieldTtlKeys} hashes of the source carry them (${survey.fieldTtlFields} fields)`,
    'pass --field-ttl drop to copy those fields without their expiries, or --field-ttl skip-fields to leave them out, or use a target that holds them (Redis >= 7.4, Valkey >= 9)',
  );
}

/** True when every node's INFO keyspace says no key has field expiries; false when one says some do, or nothing. */
async function noSubexpiries(source: RedisPort): Promise<boolean> {
  const infos = await Promise.all(
    source.nodes().map((node) => call(source, cmd('INFO', ['keyspace']), node).catch(() => null)),
  );
  return infos.every((info) => {
    if (info === null) return false;
    const dbs = asText(info).match(/^db\d+:.*$/gm) ?? [];
    return dbs.every((db) => /subexpiry=0\b/.test(db));
  });
}
