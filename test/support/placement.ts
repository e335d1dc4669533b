/**
 * Where a test's wanted engine runs. First the engine: itself where it is built, else the fallback the engines line
 * announced (engines.ts). Then the place: in the container world a container of that engine when its image was built
 * (scripts/test-world.sh), else a local process, said once per engine; in the process world a local process.
 */
import { engineImage } from './engine-image.js';
import { DEFAULT_ENGINE, type EngineName, resolveEngine } from './engines.js';
import { inContainer } from './redis-container.js';
import { testWorld } from './world.js';

export interface Placement {
  readonly engine: EngineName;
  readonly container: boolean;
}

const announced = new Set<EngineName>();

export async function placeEngine(wanted: EngineName = DEFAULT_ENGINE): Promise<Placement> {
  const engine = resolveEngine(wanted);
  if (await inContainer(engine)) return { engine, container: true };
  if ((await testWorld()) === 'containers' && !announced.has(engine)) {
    announced.add(engine);
    console.info(
      `[test/support] ${engine} runs as a local process: no image ${engineImage(engine)} (scripts/test-world.sh builds it)`,
    );
  }
  return { engine, container: false };
}
