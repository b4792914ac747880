/**
 * Reading untrusted JSON field by field, with errors that name the JSON path
 * (`$.eiEventSignals.eiEventSignal[0].intervals[3].item.text`) and say what was found.
 */

export class PriceFormatError extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path}: ${problem}`);
    this.name = 'PriceFormatError';
  }
}

/** `$` + `.key` or `[index]`. Keys that are not plain identifiers are quoted. */
export function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/** A short description of what a value is, for "got …" in messages. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing (the field is missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 39)}…` : value;
    return `the string ${JSON.stringify(shown)}`;
  }
  if (typeof value === 'number') return `the number ${value}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Field access that remembers where it is. */
export class Cursor {
  constructor(
    readonly value: unknown,
    readonly path: string = '$',
  ) {}

  fail(problem: string): never {
    throw new PriceFormatError(this.path, problem);
  }

  has(key: string): boolean {
    return isObject(this.value) && this.value[key] !== undefined;
  }

  get(key: string | number): Cursor {
    const container = this.value as Record<string | number, unknown>;
    return new Cursor(container[key as never], childPath(this.path, key));
  }

  object(): Cursor {
    if (!isObject(this.value)) this.fail(`must be an object, got ${describeValue(this.value)}`);
    return this;
  }

  /** `this` must be an object and `key` an object inside it. */
  objectAt(key: string): Cursor {
    return this.object().get(key).object();
  }

  array({ nonEmpty = true } = {}): Cursor[] {
    if (!Array.isArray(this.value)) this.fail(`must be an array, got ${describeValue(this.value)}`);
    const items = this.value as unknown[];
    if (nonEmpty && items.length === 0) this.fail('must not be empty');
    return items.map((_, i) => this.get(i));
  }

  string({ nonEmpty = true } = {}): string {
    if (typeof this.value !== 'string') this.fail(`must be a string, got ${describeValue(this.value)}`);
    const text = this.value as string;
    if (nonEmpty && text.trim() === '') this.fail('must not be empty');
    return text;
  }

  /** A finite JSON number (not a numeric string, not null, not ±Infinity from `1e999`). */
  finiteNumber(): number {
    if (typeof this.value !== 'number') this.fail(`must be a number, got ${describeValue(this.value)}`);
    const n = this.value as number;
    if (!Number.isFinite(n)) this.fail(`must be a finite number, got ${describeValue(n)}`);
    return n;
  }

  /** Run `parse` on the value; an Error it throws is re-thrown with this path in front. */
  parse<T>(parse: (value: unknown) => T): T {
    try {
      return parse(this.value);
    } catch (err) {
      if (err instanceof PriceFormatError) throw err;
      this.fail((err as Error).message);
    }
  }
}

/** No price interval or window is longer than this (a longer one is a typo or an attack). */
export const MAX_PRICE_DURATION_MS = 400 * 86_400_000;

/** Refuse a duration longer than MAX_PRICE_DURATION_MS at `at`. */
export function checkPriceDuration(at: Cursor, ms: number): void {
  if (ms > MAX_PRICE_DURATION_MS)
    at.fail(`${JSON.stringify(at.value)} is longer than 400 days, more than any price interval or window`);
}
