/**
 * olivine-prices — fetch dynamic prices (Olivine eTOU-Dyn by default) on a schedule and on any
 * input, and emit them as an OpenADR 3 PRICE event (msg.payload), a price list (msg.prices) and
 * the feed's metadata (msg.metadata). Thin adapter: parsing, validation, fetching and the
 * schedule arithmetic live in src/pricing/.
 */
import fs from 'fs';
import path from 'path';
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { packageRoot } from '../../src/package-info';
import {
  OLIVINE_ETOU_DYN_URL,
  OlivinePrices,
  parseOlivinePrices,
  pricesToOpenAdrEvent,
  PriceRange,
} from '../../src/pricing/olivine';
import { fetchPriceText, PriceFetchError } from '../../src/pricing/price-fetch';
import {
  describePriceWindow,
  msUntilMinutePastHour,
  shiftPricesTo,
  startOfHour,
} from '../../src/pricing/price-summary';
import { processClock, TimerHandle } from '../../src/time/clock';
import { migrateConfig } from '../shared/config-version';
import { toError } from '../shared/errors';
import { guardTask, handleInput } from '../shared/input';
import { statusFor } from '../shared/status';

interface OlivinePricesDef extends NodeDef {
  configVersion?: number;
  url?: string;
  hourly?: boolean;
  minute?: number | string;
  fetchOnStart?: boolean;
  timeout?: number | string;
  retries?: number | string;
  backoff?: number | string;
  programID?: string;
  eventName?: string;
  priceMin?: number | string;
  priceMax?: number | string;
  fallbackFile?: string;
  fallbackShift?: boolean;
}

interface Settings {
  url: string;
  hourly: boolean;
  minute: number;
  fetchOnStart: boolean;
  timeoutMs: number;
  retries: number;
  backoffMs: number;
  programID: string;
  eventName: string;
  priceRange: PriceRange;
  fallbackFile: string;
  fallbackShift: boolean;
}

/** What a fetch adds to a message. */
interface PriceOutput {
  payload: unknown;
  prices: OlivinePrices['intervals'];
  metadata: OlivinePrices['metadata'];
  eventID: string | null;
  priceSource: 'api' | 'sample';
  warnings: string[];
  fetchError?: string;
}

/** An error with the short text the red status shows (the full message goes to Catch/debug). */
class PriceNodeError extends Error {
  constructor(
    message: string,
    readonly statusText: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const statusTextOf = (err: Error): string => (err instanceof PriceNodeError ? err.statusText : err.message);

/** Delay before the first fetch after deploy, so the rest of the flow has started. */
const START_DELAY_MS = 200;

function number(value: unknown, fallback: number, name: string, check: (n: number) => boolean): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || !check(n)) throw new Error(`${name} ${JSON.stringify(value)} is not valid`);
  return n;
}

function readSettings(config: OlivinePricesDef): Settings {
  const url = (config.url ?? '').trim() || OLIVINE_ETOU_DYN_URL;
  if (!/^https?:\/\//i.test(url))
    throw new Error(`url ${JSON.stringify(url)} must start with http:// or https://`);
  try {
    new URL(url);
  } catch {
    throw new Error(`url ${JSON.stringify(url)} is not a valid URL`);
  }
  const priceRange = {
    min: number(config.priceMin, -1, 'priceMin', () => true),
    max: number(config.priceMax, 2, 'priceMax', () => true),
  };
  if (priceRange.min > priceRange.max)
    throw new Error(`priceMin ${priceRange.min} is above priceMax ${priceRange.max}`);
  return {
    url,
    hourly: config.hourly !== false,
    minute: number(config.minute, 5, 'minute', (n) => Number.isInteger(n) && n >= 0 && n <= 59),
    fetchOnStart: config.fetchOnStart !== false,
    timeoutMs: number(config.timeout, 15, 'timeout', (n) => n > 0 && n <= 300) * 1000,
    retries: number(config.retries, 2, 'retries', (n) => Number.isInteger(n) && n >= 0 && n <= 10),
    backoffMs: number(config.backoff, 5, 'backoff', (n) => n >= 0 && n <= 600) * 1000,
    programID: (config.programID ?? '').trim(),
    eventName: (config.eventName ?? '').trim(),
    priceRange,
    fallbackFile: (config.fallbackFile ?? '').trim(),
    fallbackShift: config.fallbackShift !== false,
  };
}

export = function (RED: NodeAPI): void {
  function OlivinePricesNode(this: Node, rawConfig: OlivinePricesDef): void {
    RED.nodes.createNode(this, rawConfig);
    const node = this;
    const status = statusFor(node);
    let settings: Settings;
    try {
      settings = readSettings(migrateConfig(rawConfig, []));
    } catch (err) {
      const message = toError(err).message;
      status.error(`bad config: ${message}`);
      node.error(`olivine-prices: bad config: ${message}`);
      handleInput(node, () => {
        throw new Error(`olivine-prices: bad config: ${message}`);
      });
      return;
    }

    const closing = new AbortController();
    // The process clock: real time, or scaled for a soak test (src/time/clock.ts processClock).
    const clock = processClock();
    let timer: TimerHandle | undefined;
    let inFlight: Promise<PriceOutput> | undefined;

    const toOutput = (
      prices: OlivinePrices,
      source: PriceOutput['priceSource'],
      fetchError?: string,
    ): PriceOutput => {
      const payload =
        prices.openadr ??
        pricesToOpenAdrEvent(prices, {
          programID: settings.programID || undefined,
          eventName: settings.eventName || undefined,
        });
      const out: PriceOutput = {
        payload,
        prices: prices.intervals,
        metadata: prices.metadata,
        eventID: prices.eventID,
        priceSource: source,
        warnings: prices.warnings,
      };
      if (fetchError !== undefined) out.fetchError = fetchError;
      return out;
    };

    const fallbackPath = (): string | undefined => {
      const file = settings.fallbackFile;
      if (!file) return undefined;
      if (path.isAbsolute(file)) return file;
      const candidates = [path.join(packageRoot(), file)];
      const userDir = (RED.settings as { userDir?: string }).userDir;
      if (userDir) candidates.push(path.join(userDir, file));
      return candidates.find((c) => fs.existsSync(c)) ?? candidates[0];
    };

    const useFallback = (reason: Error): PriceOutput => {
      const file = fallbackPath()!;
      let sample: OlivinePrices;
      try {
        sample = parseOlivinePrices(fs.readFileSync(file), { priceRange: settings.priceRange });
      } catch (err) {
        throw new PriceNodeError(
          `${reason.message}; and the sample ${file} is unusable: ${toError(err).message}`,
          'fetch failed and the sample is unusable',
          { cause: err },
        );
      }
      if (settings.fallbackShift) sample = shiftPricesTo(sample, startOfHour(clock.now()));
      node.warn(`olivine-prices: ${reason.message}; using sample prices from ${file}`);
      status.waiting(`using sample prices: ${describePriceWindow(sample, { withStart: false })}`);
      return toOutput(sample, 'sample', reason.message);
    };

    const fetchCycle = async (): Promise<PriceOutput> => {
      status.waiting('fetching prices…');
      let prices: OlivinePrices;
      try {
        const got = await fetchPriceText(settings.url, {
          timeoutMs: settings.timeoutMs,
          retries: settings.retries,
          backoffMs: settings.backoffMs,
          signal: closing.signal,
          onRetry: (n, delay, err) =>
            status.waiting(
              `retry ${n}/${settings.retries} in ${Math.round(delay / 100) / 10} s: ${err.message}`,
            ),
        });
        prices = parseOlivinePrices(got.text, { priceRange: settings.priceRange });
      } catch (thrown) {
        const cause = toError(thrown);
        if (closing.signal.aborted) throw cause;
        // Fetch failures are PriceFetchErrors; anything else is the parser rejecting the body.
        const invalid = !(thrown instanceof PriceFetchError);
        const err = invalid
          ? new PriceNodeError(
              `invalid prices from ${settings.url}: ${cause.message}`,
              `invalid prices: ${cause.message}`,
              { cause },
            )
          : new PriceNodeError(
              `fetch from ${settings.url} failed: ${cause.message}`,
              `fetch failed: ${cause.message}`,
              {
                cause,
              },
            );
        if (settings.fallbackFile) return useFallback(err);
        throw err;
      }
      for (const warning of prices.warnings) node.warn(`olivine-prices: ${warning}`);
      status.ok(describePriceWindow(prices));
      return toOutput(prices, 'api');
    };

    /** One fetch at a time: a trigger during a fetch shares its result. */
    const refresh = (): Promise<PriceOutput> => {
      inFlight ??= fetchCycle().finally(() => (inFlight = undefined));
      return inFlight;
    };

    const scheduleNext = (delayMs: number): void => {
      if (closing.signal.aborted) return;
      timer = clock.setTimeout(() => {
        guardTask(
          node,
          async () => {
            if (settings.hourly) scheduleNext(msUntilMinutePastHour(clock.now(), settings.minute));
            // A copy each: an input and a timer may share one fetch, and downstream nodes may mutate.
            node.send(RED.util.cloneMessage((await refresh()) as unknown as NodeMessageInFlow));
          },
          (err) => {
            // A closing node has nothing left to report.
            if (closing.signal.aborted) return;
            status.error(statusTextOf(err));
            // With a message, so a Catch node sees scheduled failures too.
            node.error(err.message, {});
          },
        );
      }, delayMs);
    };

    handleInput(
      node,
      async (msg, send) => {
        const output = await refresh();
        send(Object.assign(msg, RED.util.cloneMessage(output as unknown as NodeMessageInFlow)));
      },
      { errorStatus: statusTextOf },
    );

    if (settings.fetchOnStart) scheduleNext(START_DELAY_MS);
    else if (settings.hourly) scheduleNext(msUntilMinutePastHour(clock.now(), settings.minute));
    if (!settings.fetchOnStart) {
      status.waiting(
        settings.hourly ? `next fetch at :${String(settings.minute).padStart(2, '0')}` : 'waiting for input',
      );
    }

    node.on('close', (_removed: boolean, done: () => void) => {
      closing.abort();
      clock.clearTimeout(timer);
      status.clear();
      done();
    });
  }

  RED.nodes.registerType('olivine-prices', OlivinePricesNode);
};
