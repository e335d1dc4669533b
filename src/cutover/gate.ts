/** One gate of a switch, as data: the checklist, the JSON document and the tests read the same thing. */
export interface Gate {
  name: string;
  ok: boolean;
  /** What was measured. */
  value: string;
  /** What it must be. */
  threshold: string;
  detail?: string | undefined;
}

export const gate = (name: string, ok: boolean, value: string, threshold: string, detail?: string): Gate =>
  detail === undefined ? { name, ok, value, threshold } : { name, ok, value, threshold, detail };

export const allPass = (gates: readonly Gate[]): boolean => gates.every((g) => g.ok);
