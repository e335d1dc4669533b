/** What every part of a switch shares: both ends, the options, the request, the stop signal and the progress hook. */
import type { RedisPort } from '../redis/port.js';
import type { SwitchOptions } from './options.js';
import type { SwitchRequest } from './request.js';

export type SwitchPhase =
  | 'gates'
  | 'wait'
  | 'lock'
  | 'record'
  | 'quiet'
  | 'pause'
  | 'catch-up'
  | 'fence'
  | 'drain'
  | 'verify'
  | 'switch';

/** A line of progress: what the switch is doing now (the command prints it; the engine never does). */
export interface SwitchEvent {
  phase: SwitchPhase;
  message: string;
}

export interface SwitchContext {
  source: RedisPort;
  target: RedisPort;
  options: SwitchOptions;
  request: SwitchRequest;
  signal?: AbortSignal | undefined;
  onEvent?: ((event: SwitchEvent) => void) | undefined;
}

export const tell = (context: SwitchContext, phase: SwitchPhase, message: string): void =>
  context.onEvent?.({ phase, message });

/** The port of a side. */
export const portOf = (context: SwitchContext, side: 'source' | 'target'): RedisPort =>
  side === 'source' ? context.source : context.target;
