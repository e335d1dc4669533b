/**
 * Names in the container world: an engine such as 'valkey-8.1' (product-version, as in the engines cache) runs from
 * the image migrate-test/valkey:8.1, whose binaries are valkey-server and valkey-cli (scripts/test-world.sh).
 */

/** Debian's redis-server: the image the container world needs (the others are used where they exist). */
export const BASE_ENGINE = 'redis-7.0';

export function engineImage(engine: string): string {
  return `migrate-test/${product(engine)}:${engine.slice(engine.lastIndexOf('-') + 1)}`;
}

/** 'redis' or 'valkey': the binaries' prefix. */
export function product(engine: string): string {
  const at = engine.lastIndexOf('-');
  if (at <= 0) throw new Error(`an engine is named product-version (e.g. redis-7.0), not '${engine}'`);
  return engine.slice(0, at);
}
