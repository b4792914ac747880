/**
 * olivine-prices — fetch dynamic prices (Olivine eTOU-Dyn by default) on a schedule and on any
 * input, and emit them as an OpenADR 3 PRICE event (msg.payload), a price list (msg.prices) and
 * the feed's metadata (msg.metadata). Thin adapter: parsing, validation, fetching and the
 * schedule arithmetic live in src/pricing/.
 */
import fs from 'fs';
import path from 'path';
import type { Node, NodeAPI, NodeDef } from 'node-red';
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
  msUntilMinutePastHour,
  priceWindowParts,
  shiftPricesTo,
  startOfHour,
} from '../../src/pricing/price-summary';
import { processClock, type Clock, TimerHandle } from '../../src/time/clock';
import { migrateConfig } from '../shared/config-version';
import { toError } from '../shared/errors';
import { guardTask, handleInput } from '../shared/input';
import { asMessage } from '../shared/red';
import type { Translate } from '../shared/i18n';
import { statusFor, type StatusReporter } from '../shared/status';

interface OlivinePricesDef extends NodeDef {
  configVersion?: number;
  url?: string;
  hourly?: boolean;
  minute?: number | string;
  fetchOnStart?: boolean;
  timeout?: number | string;
  retries?: number | string;
  backoff?: number | string;
  /** Largest response accepted, in kB (absent in flows saved before it: 2048). */
  maxKB?: number | string;
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
  maxBytes: number;
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

function readSettings(config: OlivinePricesDef, t: Translate): Settings {
  const number = (value: unknown, fallback: number, name: string, check: (n: number) => boolean): number => {
    if (value === undefined || value === '') return fallback;
    const n = Number(value);
    if (!Number.isFinite(n) || !check(n))
      throw new Error(t('olivine-prices.errors.setting', { name, value: JSON.stringify(value) }));
    return n;
  };
  const url = (config.url ?? '').trim() || OLIVINE_ETOU_DYN_URL;
  if (!/^https?:\/\//i.test(url))
    throw new Error(t('olivine-prices.errors.urlScheme', { url: JSON.stringify(url) }));
  try {
    new URL(url);
  } catch {
    throw new Error(t('olivine-prices.errors.urlInvalid', { url: JSON.stringify(url) }));
  }
  const priceRange = {
    min: number(config.priceMin, -1, 'priceMin', () => true),
    max: number(config.priceMax, 2, 'priceMax', () => true),
  };
  if (priceRange.min > priceRange.max)
    throw new Error(t('olivine-prices.errors.range', { min: priceRange.min, max: priceRange.max }));
  return {
    url,
    hourly: config.hourly !== false,
    minute: number(config.minute, 5, 'minute', (n) => Number.isInteger(n) && n >= 0 && n <= 59),
    fetchOnStart: config.fetchOnStart !== false,
    timeoutMs: number(config.timeout, 15, 'timeout', (n) => n > 0 && n <= 300) * 1000,
    retries: number(config.retries, 2, 'retries', (n) => Number.isInteger(n) && n >= 0 && n <= 10),
    backoffMs: number(config.backoff, 5, 'backoff', (n) => n >= 0 && n <= 600) * 1000,
    maxBytes: number(config.maxKB, 2048, 'maxKB', (n) => n >= 1 && n <= 102_400) * 1024,
    programID: (config.programID ?? '').trim(),
    eventName: (config.eventName ?? '').trim(),
    priceRange,
    fallbackFile: (config.fallbackFile ?? '').trim(),
    fallbackShift: config.fallbackShift !== false,
  };
}

/**
 * One node's price fetches: one at a time (a trigger during a fetch shares its result), the
 * sample file when the feed fails and one is set, and the node's status for each outcome.
 */
class PriceCycle {
  private inFlight: Promise<PriceOutput> | undefined;

  constructor(
    private readonly RED: NodeAPI,
    private readonly node: Node,
    private readonly status: StatusReporter,
    private readonly settings: Settings,
    private readonly clock: Clock,
    private readonly closing: AbortSignal,
  ) {}

  /** One fetch at a time: a trigger during a fetch shares its result. */
  refresh(): Promise<PriceOutput> {
    this.inFlight ??= this.fetchCycle().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  /** `24 h from 02-19 05:00Z, 0.109–0.127 USD/kWh`, or without the start. */
  private describe(prices: OlivinePrices, withStart: boolean): string {
    return this.RED._(withStart ? 'olivine-prices.status.window' : 'olivine-prices.status.windowNoStart', {
      ...priceWindowParts(prices),
    });
  }

  private toOutput(
    prices: OlivinePrices,
    source: PriceOutput['priceSource'],
    fetchError?: string,
  ): PriceOutput {
    const { settings } = this;
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
  }

  private fallbackPath(): string | undefined {
    const file = this.settings.fallbackFile;
    if (!file) return undefined;
    if (path.isAbsolute(file)) return file;
    const candidates = [path.join(packageRoot(), file)];
    const userDir = (this.RED.settings as { userDir?: string }).userDir;
    if (userDir) candidates.push(path.join(userDir, file));
    return candidates.find((c) => fs.existsSync(c)) ?? candidates[0];
  }

  private useFallback(reason: Error): PriceOutput {
    const { RED, settings } = this;
    const file = this.fallbackPath()!;
    let sample: OlivinePrices;
    try {
      sample = parseOlivinePrices(fs.readFileSync(file), { priceRange: settings.priceRange });
    } catch (err) {
      throw new PriceNodeError(
        RED._('olivine-prices.errors.sampleUnusable', {
          reason: reason.message,
          file,
          error: toError(err).message,
        }),
        RED._('olivine-prices.status.sampleUnusable'),
        { cause: err },
      );
    }
    if (settings.fallbackShift) sample = shiftPricesTo(sample, startOfHour(this.clock.now()));
    this.node.warn(RED._('olivine-prices.warnings.usingSample', { reason: reason.message, file }));
    this.status.waiting(RED._('olivine-prices.status.usingSample', { window: this.describe(sample, false) }));
    return this.toOutput(sample, 'sample', reason.message);
  }

  private async fetchCycle(): Promise<PriceOutput> {
    const { RED, settings, status } = this;
    status.waiting(RED._('olivine-prices.status.fetching'));
    let prices: OlivinePrices;
    try {
      const got = await fetchPriceText(settings.url, {
        timeoutMs: settings.timeoutMs,
        retries: settings.retries,
        backoffMs: settings.backoffMs,
        maxBytes: settings.maxBytes,
        signal: this.closing,
        onRetry: (n, delay, err) =>
          status.waiting(
            RED._('olivine-prices.status.retry', {
              attempt: n,
              retries: settings.retries,
              seconds: Math.round(delay / 100) / 10,
              error: err.message,
            }),
          ),
      });
      prices = parseOlivinePrices(got.text, { priceRange: settings.priceRange });
    } catch (thrown) {
      const cause = toError(thrown);
      if (this.closing.aborted) throw cause;
      const err = this.failure(thrown, cause);
      if (settings.fallbackFile) return this.useFallback(err);
      throw err;
    }
    for (const warning of prices.warnings) this.node.warn(RED._('olivine-prices.warnings.feed', { warning }));
    status.ok(this.describe(prices, true));
    return this.toOutput(prices, 'api');
  }

  /** Fetch failures are PriceFetchErrors; anything else is the parser rejecting the body. */
  private failure(thrown: unknown, cause: Error): PriceNodeError {
    const { RED } = this;
    const details = { url: this.settings.url, error: cause.message };
    return thrown instanceof PriceFetchError
      ? new PriceNodeError(
          RED._('olivine-prices.errors.fetchFailed', details),
          RED._('olivine-prices.status.fetchFailed', details),
          { cause },
        )
      : new PriceNodeError(
          RED._('olivine-prices.errors.invalidPrices', details),
          RED._('olivine-prices.status.invalidPrices', details),
          { cause },
        );
  }
}

export = function (RED: NodeAPI): void {
  function OlivinePricesNode(this: Node, rawConfig: OlivinePricesDef): void {
    RED.nodes.createNode(this, rawConfig);
    const node = this;
    const status = statusFor(node);
    let settings: Settings;
    try {
      settings = readSettings(migrateConfig(rawConfig, [], RED._), RED._);
    } catch (err) {
      const error = toError(err).message;
      status.error(RED._('olivine-prices.status.badConfig', { error }));
      node.error(RED._('olivine-prices.errors.badConfig', { error }));
      handleInput(node, RED._, () => {
        throw new Error(RED._('olivine-prices.errors.badConfig', { error }));
      });
      return;
    }

    const closing = new AbortController();
    // The process clock: real time, or scaled for a soak test (src/time/clock.ts processClock).
    const clock = processClock();
    let timer: TimerHandle | undefined;
    const prices = new PriceCycle(RED, node, status, settings, clock, closing.signal);

    const scheduleNext = (delayMs: number): void => {
      if (closing.signal.aborted) return;
      timer = clock.setTimeout(() => {
        guardTask(
          node,
          async () => {
            if (settings.hourly) scheduleNext(msUntilMinutePastHour(clock.now(), settings.minute));
            // A copy each: an input and a timer may share one fetch, and downstream nodes may mutate.
            node.send(RED.util.cloneMessage(asMessage(await prices.refresh())));
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
      RED._,
      async (msg, send) => {
        const output = await prices.refresh();
        send(Object.assign(msg, RED.util.cloneMessage(asMessage(output))));
      },
      { errorStatus: statusTextOf },
    );

    if (settings.fetchOnStart) scheduleNext(START_DELAY_MS);
    else if (settings.hourly) scheduleNext(msUntilMinutePastHour(clock.now(), settings.minute));
    if (!settings.fetchOnStart) {
      status.waiting(
        settings.hourly
          ? RED._('olivine-prices.status.nextFetch', { minute: String(settings.minute).padStart(2, '0') })
          : RED._('olivine-prices.status.waitingForInput'),
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
