/**
 * The one input wrapper every node uses.
 *
 * Why: in Node-RED 4 an `async` input handler that throws (or a promise it forgets to await
 * that rejects) becomes an unhandled rejection and terminates the whole Node-RED process.
 * Every handler goes through here: a throw or rejection becomes a red status and `done(err)`,
 * so a Catch node sees it and the runtime keeps going.
 *
 * Reporting can fail too: Node-RED copies the message for each Catch node (and each Complete
 * node), and that copy throws for a message nested thousands of levels deep or with a property
 * whose getter throws. Such a message is reported with a minimal copy instead (errors.ts), and
 * nothing the wrapper does after the handler can throw.
 */
import type { Node, NodeMessageInFlow, NodeStatus } from 'node-red';
import { statusShape } from './status';
import { minimalCopy, say, toError, whyUncopyable } from './errors';
import type { Translate } from './i18n';
import { asMessage } from './red';

export type Send = (msg: NodeMessageInFlow | Array<NodeMessageInFlow | NodeMessageInFlow[] | null>) => void;

export type InputHandler<TMsg extends NodeMessageInFlow = NodeMessageInFlow> = (
  msg: TMsg,
  send: Send,
) => unknown;

export interface InputOptions {
  /** Status text prefix shown on failure, e.g. "fetch failed". Defaults to the error message. */
  errorStatus?: (err: Error) => string;
  /**
   * Handle one message at a time, in arrival order: the next waits until the previous one's
   * promise settles. For read-then-write handlers (find a program by name, create it when
   * missing) that would otherwise race with themselves when two messages arrive together.
   */
  serial?: boolean;
}

/**
 * Register `handler` as the node's input handler. The handler may be sync or async; when it
 * returns (or its promise resolves) `done()` is called; when it throws (or rejects) the node
 * shows a red status and `done(err)` is called with the original message. `t` is the node set's
 * RED._: the wrapper's own reports (a message that could not be copied, a Complete node that got
 * no copy) come from the message catalog in the user's language.
 */
export function handleInput<TMsg extends NodeMessageInFlow = NodeMessageInFlow>(
  node: Node,
  t: Translate,
  handler: InputHandler<TMsg>,
  options: InputOptions = {},
): void {
  let queue: Promise<void> = Promise.resolve();
  node.on('input', (msg: NodeMessageInFlow, send: Send, done?: (err?: Error) => void) => {
    const fail = (thrown: unknown): void => {
      const err = toError(thrown, t);
      if (isClosedConnection(err)) {
        // The node's connection stopped under the message (a redeploy or shutdown): a documented
        // drop, said once as a warning, not an error status on a node that is going away.
        warnSafely(
          node,
          say(t, 'input.warnings.droppedOnClose', {
            id: messageId(msg) ?? say(t, 'input.message.noId'),
            error: err.message,
          }),
        );
        finish();
        return;
      }
      failedInputs.add(node);
      let text: string;
      try {
        text = options.errorStatus ? options.errorStatus(err) : err.message;
      } catch {
        text = err.message;
      }
      setStatus(node, statusShape.error(text));
      reportError(node, err, msg, done, t);
    };
    const finish = (): void => {
      failedInputs.delete(node);
      if (!done) return;
      try {
        done();
      } catch (thrown) {
        // A Complete node's copy of the message failed (see the file comment). The message was
        // handled; say so without the copy rather than let the throw escape.
        warnSafely(
          node,
          say(t, 'input.warnings.completeCopy', {
            id: messageId(msg) ?? say(t, 'input.message.noId'),
            error: toError(thrown, t).message,
          }),
        );
      }
    };
    // Node-RED before 1.0 passed no `send`; keep working if it is absent.
    const sendFn: Send = send ?? ((m) => node.send(m as NodeMessageInFlow));
    const run = (): Promise<void> | undefined => {
      let result: unknown;
      try {
        result = handler(msg as TMsg, sendFn);
      } catch (thrown) {
        fail(thrown);
        return undefined;
      }
      if (isPromiseLike(result)) return Promise.resolve(result).then(finish, fail).catch(ignore);
      finish();
      return undefined;
    };
    // `run` never rejects, so one failure can never stop the queue for the messages after it.
    if (options.serial) queue = queue.then(run).catch(ignore);
    else void run();
  });
}

/** Nodes whose last input ended in an error that nothing newer has replaced (see inputFailed). */
const failedInputs = new WeakSet<object>();

/**
 * True while the node's last input ended in an error that nothing newer has replaced. A node's
 * periodic or device-driven status updates check this, so a red "rejected message" status stays
 * until something replaces it for a reason: a later message handled, or `clearInputFailure`
 * (a reconnect, a link going down).
 */
export function inputFailed(node: object): boolean {
  return failedInputs.has(node);
}

/** Something newer than the failed input decides the status now (e.g. the link went down or came back). */
export function clearInputFailure(node: object): void {
  failedInputs.delete(node);
}

/**
 * Report `err` for `msg`: through `done(err)` (or node.error with the message) when Node-RED can
 * copy the message for the Catch nodes, otherwise with a minimal copy. Never throws.
 */
export function reportError(
  node: Node,
  err: Error,
  msg: unknown,
  done: ((err?: Error) => void) | undefined,
  t: Translate,
): void {
  let why = whyUncopyable(msg, t);
  if (!why) {
    try {
      if (done) done(err);
      else node.error(err, msg as NodeMessageInFlow);
      return;
    } catch (thrown) {
      // The copy failed in a way the check did not foresee (e.g. the stack was already deep).
      why = toError(thrown, t).message;
    }
  }
  // Without done(err): Node-RED's done is bound to the original message and would copy it again.
  try {
    node.error(err, asMessage(minimalCopy(msg, why, t)));
  } catch {
    try {
      node.error(err.message);
    } catch {
      // Nothing left to report through.
    }
  }
}

/** Send from a timer or callback: a send that throws (a copy for a second wire) is reported, never thrown. */
export function sendSafely(node: Node, msg: Parameters<Send>[0], t: Translate): void {
  try {
    node.send(msg as NodeMessageInFlow);
  } catch (thrown) {
    const err = toError(thrown, t);
    setStatus(node, statusShape.error(err.message));
    try {
      node.error(say(t, 'input.errors.send', { error: err.message }));
    } catch {
      // Nothing left to report through.
    }
  }
}

function setStatus(node: Node, status: NodeStatus): void {
  try {
    node.status(status);
  } catch {
    // A status failure must never hide the original error.
  }
}

/**
 * An error of kind 'closed' (the OpenADR client's, and any other core client that follows the
 * convention): the request's connection was closed by its owner, so no one is left to act on it.
 */
function isClosedConnection(err: Error): boolean {
  return (err as { kind?: unknown }).kind === 'closed';
}

function warnSafely(node: Node, text: string): void {
  try {
    node.warn(text);
  } catch {
    // Nothing left to report through.
  }
}

/** The message's id, read without running a getter; undefined when it has none. */
function messageId(msg: unknown): string | undefined {
  try {
    const d = typeof msg === 'object' && msg ? Object.getOwnPropertyDescriptor(msg, '_msgid') : undefined;
    return d && typeof d.value === 'string' ? d.value : undefined;
  } catch {
    return undefined;
  }
}

function ignore(): void {
  // The wrapper reported it already.
}

/**
 * Run a background task (timer tick, socket callback) with the same guarantee: a failure
 * becomes a red status and a logged error, never an unhandled rejection.
 */
export function guardTask(node: Node, task: () => unknown, onError?: (err: Error) => void): void {
  const fail = (thrown: unknown): void => {
    const err = toError(thrown);
    try {
      if (onError) onError(err);
      else {
        node.status(statusShape.error(err.message));
        node.error(err.message);
      }
    } catch {
      // Nothing more we can do; never rethrow from a background task.
    }
  };
  try {
    const result = task();
    if (isPromiseLike(result)) result.then(undefined, fail);
  } catch (thrown) {
    fail(thrown);
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
  );
}
