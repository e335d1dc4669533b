/**
 * Names in the container world: an engine of engines.ts such as 'valkey-8.1' runs from the image
 * migrate-test/valkey:8.1, whose binaries are valkey-server and valkey-cli (scripts/test-world.sh builds it from the
 * engine's binaries). The world needs the image of DEFAULT_ENGINE; the others are used where they were built.
 */
import { ENGINE_NAMES, type EngineName, productOf } from './engines.js';

export function engineImage(name: EngineName): string {
  return `migrate-test/${productOf(name)}:${name.slice(name.indexOf('-') + 1)}`;
}

/** The engine an image tag holds (migrate-test/valkey:8.1 is valkey-8.1), if it is one of ENGINE_NAMES. */
export function imageEngine(tag: string): EngineName | undefined {
  return ENGINE_NAMES.find((name) => engineImage(name) === tag);
}
