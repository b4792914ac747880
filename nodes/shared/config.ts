/**
 * Reading a node's editor config: the one place that decides what a blank setting is and how a
 * typed-in number is read. The editor stores what the user typed (text, or a number for
 * defaults), so every reader takes `unknown` and trims text.
 */

/** A setting the user left empty: absent, null, or only blanks. */
export function isBlank(raw: unknown): boolean {
  return raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '');
}

/** What a number setting must be: any finite number, > 0, or ≥ 0. */
export type NumberRule = 'finite' | 'positive' | 'notNegative';

export interface NumberCheck {
  /** Default 'finite'. */
  rule?: NumberRule;
  /** The error for a value that breaks the rule (in the node's language; names the setting). */
  error: (text: string) => Error;
}

const RULES: Record<NumberRule, (n: number) => boolean> = {
  finite: Number.isFinite,
  positive: (n) => Number.isFinite(n) && n > 0,
  notNegative: (n) => Number.isFinite(n) && n >= 0,
};

/**
 * A number setting: `fallback` when blank. With a check, a value that is no number or breaks
 * the rule throws the check's error; without one the number is returned as read (NaN included),
 * for settings the core validates and names itself.
 */
export function readNumber(raw: unknown, fallback: number, check?: NumberCheck): number;
export function readNumber(
  raw: unknown,
  fallback: number | undefined,
  check?: NumberCheck,
): number | undefined;
export function readNumber(
  raw: unknown,
  fallback: number | undefined,
  check?: NumberCheck,
): number | undefined {
  if (isBlank(raw)) return fallback;
  const value = typeof raw === 'number' ? raw : Number(String(raw).trim());
  if (check && !RULES[check.rule ?? 'finite'](value)) throw check.error(String(raw));
  return value;
}

/** A text setting, trimmed; `fallback` when blank. */
export function readText(raw: unknown, fallback: string): string;
export function readText(raw: unknown, fallback?: undefined): string | undefined;
export function readText(raw: unknown, fallback?: string): string | undefined {
  return isBlank(raw) ? fallback : String(raw).trim();
}

/**
 * A checkbox: `true`/`false`, or the text the editor may store for them; `fallback` when the
 * setting is absent (a flow saved before the option existed).
 */
export function readFlag(raw: unknown, fallback: boolean): boolean {
  if (raw === true || raw === 'true') return true;
  if (raw === false || raw === 'false') return false;
  return fallback;
}
