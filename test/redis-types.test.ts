/**
 * One module per Redis type (src/redis/types/), assembled into the scripts by the registry. Each type carries every
 * piece, and the pieces agree with one another on a real server: a key read by the read script and written back
 * whole, or rebuilt from its chunks, fingerprints and digests in chunks as the original does, and is described.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_TYPES, type SampleType, seedTypeSamples } from '../fixtures/dataset.js';
import { openEndpoint } from '../src/redis/connect.js';
import { asArray, asText, call, cmd, type RedisPort } from '../src/redis/port.js';
import { declaredScriptCommand, execScripts, scriptCommand } from '../src/redis/script-runner.js';
import { readBatchScript, writeKeyScript } from '../src/redis/scripts.js';
import { redisType, redisTypes, typeForm, typeForms } from '../src/redis/types/index.js';
import { digestBigKey } from '../src/verify/big-digest.js';
import { describeKeys } from '../src/verify/describe.js';
import { fingerprint } from '../src/verify/key-state.js';
import { defaultVerifyOptions } from '../src/verify/options.js';
import { startRedis, stopAll, type TestServer } from './support/servers.js';

describe('the type registry', () => {
  it('names each type once by TYPE, by --type and by its hint letter, and each form once', () => {
    const letters = redisTypes.flatMap((t) => (t.letter ? [t.letter] : []));
    for (const names of [
      redisTypes.map((t) => t.server),
      redisTypes.map((t) => t.operator),
      typeForms.map((f) => f.name),
      [...letters, 'n'],
    ]) {
      expect(new Set(names).size).toBe(names.length);
    }
    for (const letter of letters) expect(letter).toMatch(/^[A-Za-z]$/);
  });

  it('gives every type its Lua for every script, and a chunk digest and fingerprint to every sized collection', () => {
    for (const type of redisTypes) {
      for (const body of [type.lua.read, type.lua.write, type.lua.fingerprint, type.lua.encode]) {
        expect(body.trim(), type.server).not.toBe('');
      }
      if (type.sizeCommand) expect(type.lua.digestChunk, type.server).toBeDefined();
      if (type.sizeCommand && type.sizeIn === 'elements') expect(type.fingerprint, type.server).toBeDefined();
    }
  });
});

describe('each type on a real server', () => {
  let server: TestServer;
  let port: RedisPort;
  let keys: Record<SampleType, Buffer>;

  beforeAll(async () => {
    server = await startRedis();
    const client = server.client();
    keys = await seedTypeSamples(client, 'rt:');
    client.disconnect();
    port = await openEndpoint({ role: 'source', url: server.url });
  });
  afterAll(async () => {
    await port.close();
    await stopAll();
  });

  const write = async (
    key: Buffer,
    form: string,
    policy: string,
    payload: Array<string | number | Buffer>,
  ) => {
    const [reply] = await execScripts(
      port,
      [scriptCommand(writeKeyScript, key, [form, 0, policy, ...payload])],
      [writeKeyScript],
    );
    expect(reply).toEqual(Buffer.from('ok'));
  };

  it('knows the type the server answers for every sample', async () => {
    for (const key of Object.values(keys)) {
      expect(redisType(asText(await call(port, cmd('TYPE', [key], key))))).toBeDefined();
    }
  });

  it.each(SAMPLE_TYPES)(
    'reads, writes whole and from chunks, digests and describes a %s alike',
    async (sample) => {
      const key = keys[sample];
      const read = declaredScriptCommand(readBatchScript, [key], [1000, 1 << 20, '']);
      const flat = asArray((await execScripts(port, [read], [readBatchScript]))[0]);
      const form = typeForm(asText(flat[1]));
      if (!form) throw new Error(`no form for ${asText(flat[1])}`);
      const whole = Buffer.from(`rt:whole:${sample}`);
      const rebuilt = Buffer.from(`rt:rebuilt:${sample}`);
      await write(whole, form.name, 'replace', form.payload(flat[4] ?? null));
      for await (const chunk of form.chunks(port, key, 1)) await write(rebuilt, form.name, 'append', chunk);

      const states = await fingerprint(port, [key, whole, rebuilt], defaultVerifyOptions);
      expect(states[0]!.digest).toBeDefined();
      expect(states[1]).toEqual(states[0]);
      expect(states[2]).toEqual(states[0]);
      const digests = await Promise.all(
        [key, whole, rebuilt].map((k, i) => digestBigKey(port, k, states[i]!, 1, 2)),
      );
      expect(digests[0]).toMatch(/^[0-9a-f]{40}$/);
      expect(new Set(digests).size).toBe(1);

      const [shown] = await describeKeys(port, [key]);
      expect(shown).toMatch(new RegExp(`^${form.type.server} \\(\\d+( bytes)?\\) .+, no TTL$`));
    },
  );
});
