/**
 * The pack's size limits as this Node-RED configures them: `openadr3HpwhLimits` in settings.js
 * (e.g. `openadr3HpwhLimits: { maxHeuristicIntervals: 8000 }`), each falling back to the default
 * in src/limits.ts. A value that is not a positive integer is ignored with a warning, once.
 */
import type { NodeAPI } from 'node-red';
import { DEFAULT_LIMITS, LIMITS_SETTING, PackLimits } from '../../src/limits';
import { settingsOf } from './red';

let warned = false;

export function packLimits(RED: NodeAPI): PackLimits {
  let configured: unknown;
  try {
    configured = settingsOf(RED)[LIMITS_SETTING];
  } catch {
    configured = undefined;
  }
  const limits: PackLimits = { ...DEFAULT_LIMITS };
  if (configured === undefined || configured === null) return limits;
  const problems: string[] = [];
  if (typeof configured !== 'object') {
    problems.push(RED._('limits.warnings.notObject', { setting: LIMITS_SETTING }));
  } else {
    for (const key of Object.keys(DEFAULT_LIMITS) as Array<keyof PackLimits>) {
      const value = (configured as Record<string, unknown>)[key];
      if (value === undefined) continue;
      if (typeof value === 'number' && Number.isInteger(value) && value > 0) limits[key] = value;
      else
        problems.push(
          RED._('limits.warnings.notPositiveInteger', {
            setting: `${LIMITS_SETTING}.${key}`,
            value: String(value),
            default: DEFAULT_LIMITS[key],
          }),
        );
    }
  }
  if (problems.length && !warned) {
    warned = true;
    for (const problem of problems) RED.log.warn(problem);
  }
  return limits;
}
