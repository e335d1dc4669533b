import { usageError } from '../errors.js';

/** Parses a whole number flag, refusing anything else with a one-line usage error. */
export function wholeNumber(flag: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (text: string): number => {
    const value = Number(text);
    if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
      throw usageError(`invalid ${flag} "${text}": expected a whole number ${range}`);
    }
    return value;
  };
}

/** Parses a flag that takes one of a fixed set of words. */
export function oneOf<T extends string>(flag: string, allowed: readonly T[]) {
  return (text: string): T => {
    if (!(allowed as readonly string[]).includes(text)) {
      throw usageError(`invalid ${flag} "${text}": expected one of ${allowed.join(', ')}`);
    }
    return text as T;
  };
}

/** Parses a comma list of words from a fixed set. */
export function listOf<T extends string>(flag: string, allowed: readonly T[]) {
  const one = oneOf(flag, allowed);
  return (text: string): T[] =>
    text
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part !== '')
      .map(one);
}
