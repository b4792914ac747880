/**
 * The core's diagnostics hook. The core never writes to the console; whoever creates a client or
 * session may pass `log(level, message)` (a Node-RED node maps the levels to node.trace,
 * node.debug, node.log and node.warn, which settings.js shows from the chosen level on).
 */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn';

export type LogHook = (level: LogLevel, message: string) => void;

/** The hook when none was given. */
export const noLog: LogHook = () => undefined;
