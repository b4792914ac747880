/**
 * The one input wrapper every node uses.
 *
 * Why: in Node-RED 4 an `async` input handler that throws (or a promise it forgets to await
 * that rejects) becomes an unhandled rejection and terminates the whole Node-RED process.
 * Every handler goes through here: a throw or rejection becomes a red status and `done(err)`,
 * so a Catch node sees it and the runtime keeps going.
 */
import type { Node, NodeMessageInFlow } from 'node-red';
import { statusShape } from './status';
import { toError } from './errors';

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
 * shows a red status and `done(err)` is called with the original message.
 */
export function handleInput<TMsg extends NodeMessageInFlow = NodeMessageInFlow>(
  node: Node,
  handler: InputHandler<TMsg>,
  options: InputOptions = {},
): void {
  let queue: Promise<void> = Promise.resolve();
  node.on('input', (msg: NodeMessageInFlow, send: Send, done?: (err?: Error) => void) => {
    const fail = (thrown: unknown): void => {
      const err = toError(thrown);
      const text = options.errorStatus ? options.errorStatus(err) : err.message;
      try {
        node.status(statusShape.error(text));
      } catch {
        // A status failure must never hide the original error.
      }
      if (done) done(err);
      else node.error(err, msg);
    };
    const finish = (): void => {
      if (done) done();
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
      if (isPromiseLike(result)) return Promise.resolve(result).then(finish, fail);
      finish();
      return undefined;
    };
    if (options.serial) queue = queue.then(run);
    else void run();
  });
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
