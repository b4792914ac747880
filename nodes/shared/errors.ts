/**
 * Errors and the messages they are reported with.
 *
 * Node-RED copies a message (lodash.clonedeep) for every Catch node when a node reports an error
 * with it, and for every Complete node when it finishes one. That copy throws for a message nested
 * a few thousand levels deep (what JSON.parse makes of a hostile HTTP body) or with a property
 * whose getter throws; thrown from a timer or promise callback it terminates the whole process.
 * So an error is reported with the message only when the message can be copied, and otherwise
 * with a minimal copy that can: its id, its topic and a note saying why the rest is missing.
 *
 * The texts come from the node's message catalog (`t`, the node set's RED._; keys in
 * locales/<lang>/errors.json beside this file).
 */
import type { Translate } from './i18n';

/**
 * `t(key, substitutions)`, or the key itself when translating fails: a report must never fail
 * because of its wording.
 */
export function say(t: Translate | undefined, key: string, substitutions?: Parameters<Translate>[1]): string {
  try {
    if (t) {
      const text = t(key, substitutions);
      if (typeof text === 'string') return text;
    }
  } catch {
    // fall through
  }
  return key;
}

/** What JavaScript calls a value (`[object Object]`, `[object Error]`); never throws. */
function kindOf(value: unknown): string {
  try {
    return Object.prototype.toString.call(value);
  } catch {
    return typeof value;
  }
}

/**
 * Turn anything thrown into an Error with a readable message; never throws itself. With `t` a
 * value that cannot be shown at all is described in the user's language; without it (background
 * tasks, where nothing hostile is thrown) by its JavaScript kind.
 */
export function toError(thrown: unknown, t?: Translate): Error {
  if (thrown instanceof Error) {
    try {
      if (typeof thrown.message === 'string') return thrown;
    } catch {
      // a message getter that throws: fall through to a plain description
    }
    return new Error(t ? say(t, 'errors.thrown.unreadable') : kindOf(thrown));
  }
  if (typeof thrown === 'string') return new Error(thrown);
  try {
    const text = JSON.stringify(thrown);
    if (typeof text === 'string') return new Error(text);
  } catch {
    // circular, BigInt, a throwing getter or toJSON: try String() below
  }
  try {
    return new Error(String(thrown));
  } catch {
    return new Error(t ? say(t, 'errors.thrown.unprintable', { type: typeof thrown }) : kindOf(thrown));
  }
}

/**
 * Deeper than this, Node-RED's copy of a message may overflow the stack (lodash.clonedeep recurses
 * once per level; about 2,000 levels overflow it from the top of an empty stack, fewer from inside
 * a flow). No real message comes close: an OpenADR event is under 10 levels deep.
 */
export const MAX_COPY_DEPTH = 500;
/** Walking more values than this to check a message costs more than it is worth: assume it copies. */
const MAX_COPY_CHECK_VALUES = 2_000_000;

/** Read a property the way a copy would (running its getter), or say why it cannot be read. */
function readProperty(obj: object, key: PropertyKey, t: Translate): { value?: unknown; problem?: string } {
  try {
    return { value: (obj as Record<PropertyKey, unknown>)[key] };
  } catch (err) {
    return {
      problem: say(t, 'errors.copy.getterThrew', { key: String(key), error: toError(err, t).message }),
    };
  }
}

/**
 * Why Node-RED could not copy `msg`, or undefined when it can. Iterative (no recursion, so a deep
 * message cannot overflow this check), visits each object once (circular messages copy fine),
 * skips msg.req / msg.res (Node-RED passes those on uncopied).
 */
export function whyUncopyable(msg: unknown, t: Translate): string | undefined {
  if (typeof msg !== 'object' || msg === null) return undefined;
  const seen = new Set<object>([msg]);
  const stack: Array<{ value: object; depth: number }> = [];
  let visited = 0;
  let keys: PropertyKey[];
  try {
    keys = Reflect.ownKeys(msg);
  } catch (err) {
    return say(t, 'errors.copy.unlistable', { error: toError(err, t).message });
  }
  for (const key of keys) {
    if (key === 'req' || key === 'res') continue;
    const { value, problem } = readProperty(msg, key, t);
    if (problem) return problem;
    if (typeof value === 'object' && value !== null && !seen.has(value)) {
      seen.add(value);
      stack.push({ value, depth: 1 });
    }
  }
  while (stack.length) {
    const { value, depth } = stack.pop()!;
    if (depth > MAX_COPY_DEPTH) return say(t, 'errors.copy.tooDeep', { depth: MAX_COPY_DEPTH });
    if (++visited > MAX_COPY_CHECK_VALUES) return undefined;
    // Binary data copies as a block; its elements need no look.
    if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) continue;
    let own: PropertyKey[];
    try {
      own = Reflect.ownKeys(value);
    } catch (err) {
      return say(t, 'errors.copy.valueUnlistable', { error: toError(err, t).message });
    }
    for (const key of own) {
      if (key === 'length' && Array.isArray(value)) continue;
      const { value: child, problem } = readProperty(value, key, t);
      if (problem) return problem;
      if (typeof child === 'object' && child !== null && !seen.has(child)) {
        seen.add(child);
        stack.push({ value: child, depth: depth + 1 });
      }
    }
  }
  return undefined;
}

/** An own data property, read without running a getter. */
function ownValue(obj: object, key: string): unknown {
  try {
    const d = Object.getOwnPropertyDescriptor(obj, key);
    return d && 'value' in d ? d.value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The copy a Catch node gets instead of a message that cannot be copied: `_msgid`, `topic` (when
 * it is plain text or a number), `req`/`res` (so a flow fed by `http in` can still answer the
 * request) and `copyError` saying what was left out and why.
 */
export function minimalCopy(msg: unknown, reason: string, t: Translate): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  if (typeof msg === 'object' && msg !== null) {
    const id = ownValue(msg, '_msgid');
    if (typeof id === 'string') copy._msgid = id;
    const topic = ownValue(msg, 'topic');
    if (typeof topic === 'string') copy.topic = topic.length > 1000 ? `${topic.slice(0, 1000)}…` : topic;
    else if (typeof topic === 'number' || typeof topic === 'boolean') copy.topic = topic;
    for (const key of ['req', 'res']) {
      const value = ownValue(msg, key);
      if (value !== undefined) copy[key] = value;
    }
  }
  copy.copyError = say(t, 'errors.copy.note', { reason });
  return copy;
}
