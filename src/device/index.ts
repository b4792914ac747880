/** Device contract: command names, the signal map, schedules, telemetry and the schedule runner. */
export * from './commands';
export * from './schedule';
export * from './telemetry';
export * from './runner';
export * from './sg-ready';
export * from './outputs';
export * from './dispatch';
