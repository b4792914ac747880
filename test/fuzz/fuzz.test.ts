/**
 * The fuzz layer (`npm run test:fuzz`, and part of `npm test`): every node type of the pack in one
 * real Node-RED, fed hostile messages through `http in` endpoints, with a Catch, a Complete and a
 * Status node on each tab. For every message: Node-RED stays up and answers, the message ends in
 * a Catch or done() (and an output where the case is valid) within a few seconds, and the status
 * afterwards says what happened: red after an error and still red a moment later (no unrelated
 * update paints over it), not red after a message that was handled. Then generated messages
 * (fast-check), bursts of 200 messages a second, redeploys with messages in flight, and the heap
 * after redeploys compared with its baseline.
 *
 * FUZZ_RUNS (generated messages per node type, default 12) and FUZZ_REPLAY make a longer or a
 * replayed run; the corpus itself is fixed.
 */
import assert from 'assert';
import { COMMAND_NAMES } from '../../src/device';
import fc from 'fast-check';
import { commonCases, FuzzCase, nodeCases, validEvent, validSchedule, validTelemetry } from './corpus';
import { FuzzRed, MessageSpec, Outcome, SUBJECT_TYPES, SubjectType, ValueSpec } from './support/fuzz-red';
import { waitFor } from '../support/node-red-process';

const RUNS = Number(process.env.FUZZ_RUNS ?? 12);
const SEED = process.env.FUZZ_REPLAY ? Number(process.env.FUZZ_REPLAY) : Date.now() % 2 ** 31;
/** How long an error status must survive: longer than the periodic updates that used to paint over it. */
const STATUS_HOLD_MS = 250;
/**
 * Nodes whose status also follows something besides their input (a device, a link, a schedule, a
 * VTN's changes or its health): only they can paint over an error, so only they wait the hold.
 */
const BACKGROUND_STATUS = new Set<SubjectType>([
  'cta2045-out',
  'hpwh-modbus-out',
  'hpwh-dispatch',
  'openadr3-vtn',
  'openadr3-ven',
  'openadr3-publish',
  'openadr3-report',
]);
/** Enough for a serialised node to work through a backlog on a loaded 2-core machine. */
const OUTCOME_MS = 8000;

/** The order matters for three of them: the VEN and the report node need the published event. */
const ORDER: SubjectType[] = [
  'openadr3-publish',
  'openadr3-ven',
  'openadr3-report',
  ...SUBJECT_TYPES.filter((t) => !['openadr3-publish', 'openadr3-ven', 'openadr3-report'].includes(t)),
];

describe('fuzz: every node type against hostile messages in a real Node-RED', function () {
  this.timeout(600_000);
  let env: FuzzRed;
  let caseNo = 0;
  const stats = { cases: 0, generated: 0, burstMessages: 0 };

  before(async function () {
    this.timeout(180_000);
    env = await FuzzRed.start();
    console.log(`      generated cases: FUZZ_REPLAY=${SEED} replays them, ${RUNS} runs per node type`);
  });

  after(async () => {
    console.log(
      `      fuzz: ${stats.cases} corpus cases, ${stats.generated} generated, ${stats.burstMessages} burst messages`,
    );
    await env?.stop();
  });

  afterEach(async function () {
    if (!env) return;
    assert.ok(await env.alive(), `Node-RED is not answering:\n${env.red.log().slice(-3000)}`);
    assert.deepStrictEqual(env.fatalLog(), [], 'Node-RED logged an error it did not handle');
  });

  /** Send one case and check what became of it. */
  async function runCase(type: SubjectType, c: FuzzCase): Promise<Outcome> {
    const id = `c${++caseNo}`;
    const sentAt = Date.now();
    if (c.raw !== undefined) await env.sendRaw(type, id, c.raw, c.topic);
    else await env.send(type, id, c.msg ?? {});
    const outcome = (await env.outcomes(type, [id], OUTCOME_MS)).get(id)!;
    const what = `${type} · ${c.name} (${id})`;
    if (c.expect === 'output') {
      if (outcome.kind === 'catch')
        assert.fail(`${what}: expected an output, caught "${outcome.catch?.message}"`);
      await waitFor(
        async () => (await env.poll(), env.events.some((e) => e.kind === 'output' && e.id === id)),
        3000,
        `${what}: an output`,
      );
    } else if (c.expect === 'catch') {
      assert.strictEqual(outcome.kind, 'catch', `${what}: expected a Catch, got done()`);
    } else if (c.expect === 'done') {
      if (outcome.kind === 'catch')
        assert.fail(`${what}: expected done(), caught "${outcome.catch?.message}"`);
    }
    if (outcome.kind === 'catch') {
      const message = outcome.catch?.message ?? '';
      assert.ok(message.length > 0 && message !== 'undefined', `${what}: the Catch node got no error text`);
      if (c.error) assert.match(message, c.error, `${what}: error text`);
      await checkErrorStatus(type, what, sentAt);
    } else await checkHandledStatus(type, what);
    stats.cases++;
    return outcome;
  }

  /** After an error: a red status, still red a moment later. */
  async function checkErrorStatus(type: SubjectType, what: string, sentAt: number): Promise<void> {
    await waitFor(
      async () => (await env.poll(), env.statusesSince(type, sentAt).some((s) => s.fill === 'red')),
      2000,
      `${what}: a red status`,
    );
    if (!BACKGROUND_STATUS.has(type)) return;
    await new Promise((r) => setTimeout(r, STATUS_HOLD_MS));
    await env.poll();
    const last = env.lastStatus(type);
    assert.strictEqual(
      last?.fill,
      'red',
      `${what}: the error status was replaced ${STATUS_HOLD_MS} ms later by "${last?.text}" (${last?.fill})`,
    );
  }

  /** After a handled message: the status does not stay red. */
  async function checkHandledStatus(type: SubjectType, what: string): Promise<void> {
    await waitFor(
      async () => (await env.poll(), env.lastStatus(type)?.fill !== 'red'),
      2000,
      `${what}: the status to leave red after a handled message (last: "${env.lastStatus(type)?.text}")`,
    );
  }

  function casesFor(type: SubjectType, extra: FuzzCase[] = []): FuzzCase[] {
    const own = nodeCases(type);
    const valid = own.filter((c) => c.expect === 'output');
    return [
      ...extra,
      ...own,
      ...commonCases(),
      // Still working after all of it.
      ...valid.map((c) => ({ ...c, name: `${c.name}, after the corpus` })),
    ];
  }

  for (const type of ORDER) {
    it(`${type}: the fixed corpus`, async function () {
      let extra: FuzzCase[] = [];
      if (type === 'openadr3-report') {
        // What openadr3-ven output 1 would give it: the events to answer.
        const events = await env.serviceEvents();
        assert.ok(events.length > 0, 'the publish corpus stored an event');
        extra = [
          { name: 'events from the VEN', msg: { payload: { kind: 'json', value: events } }, expect: 'done' },
        ];
      }
      for (const c of casesFor(type, extra)) await runCase(type, c);
    });
  }

  it('generated messages (fast-check) for every node type', async function () {
    const jsonish = fc.jsonValue({ maxDepth: 4 });
    const number = fc.oneof(
      fc.double(),
      fc.integer(),
      fc.constantFrom(0, -0, 1e308, -1e308, Number.MAX_SAFE_INTEGER, 5e-324),
    );
    const time = fc.oneof(
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      fc.string(),
      number,
      fc.constant(null),
    );
    const interval = fc.record(
      {
        start: time,
        end: time,
        signal: fc.oneof(fc.constantFrom(-1, 0, 1, 2), number, fc.string()),
        price: number,
        extraWh: number,
      },
      { requiredKeys: [] },
    );
    const payload: fc.Arbitrary<ValueSpec> = fc.oneof(
      jsonish.map((value) => ({ kind: 'json' as const, value })),
      fc
        .record({ intervals: fc.array(interval, { maxLength: 8 }) })
        .map((value) => ({ kind: 'json' as const, value })),
      fc
        .record(
          {
            command: fc.oneof(fc.constantFrom(...COMMAND_NAMES), fc.string()),
            durationSeconds: fc.oneof(number, fc.string()),
            extraWh: number,
          },
          { requiredKeys: [] },
        )
        .map((value) => ({ kind: 'json' as const, value })),
      fc.array(number, { maxLength: 50 }).map((value) => ({ kind: 'json' as const, value })),
      fc.constantFrom<ValueSpec>(
        { kind: 'deep', depth: 10000 },
        { kind: 'deepArray', depth: 3000 },
        { kind: 'circular' },
        { kind: 'bigint' },
        { kind: 'nan' },
        { kind: 'proto' },
        { kind: 'getter', name: 'intervals' },
        { kind: 'json', value: validTelemetry() },
        { kind: 'json', value: validSchedule(4) },
        { kind: 'json', value: validEvent() },
      ),
    );
    const message = fc.record(
      {
        topic: fc.oneof(
          fc.constantFrom('program', 'event', 'upstream', 'telemetry', 'PROGRAM', ''),
          fc.string(),
          number,
        ),
        payload,
        props: fc.record(
          {
            soc: fc
              .oneof(number, fc.string(), fc.constant(null))
              .map((value) => ({ kind: 'json' as const, value })),
            operation: fc
              .oneof(fc.constantFrom('create', 'update', 'upsert', 'delete'), fc.string())
              .map((value) => ({ kind: 'json' as const, value })),
            load: fc.array(number, { maxLength: 10 }).map((value) => ({ kind: 'json' as const, value })),
            params: jsonish.map((value) => ({ kind: 'json' as const, value })),
          },
          { requiredKeys: [] },
        ),
        msgGetter: fc.constantFrom('extra', 'headers'),
      },
      { requiredKeys: ['payload'] },
    ) as fc.Arbitrary<MessageSpec>;
    for (const type of ORDER) {
      await fc.assert(
        fc.asyncProperty(message, async (msg) => {
          await runCase(type, { name: `generated ${JSON.stringify(msg).slice(0, 200)}`, msg });
          stats.generated++;
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: !process.env.FUZZ_SHRINK },
      );
    }
  });

  /** A mix for bursts: mostly hostile (answered at once), a few valid ones (real work). */
  function burstMix(type: SubjectType): MessageSpec[] {
    const hostile: MessageSpec[] = [
      { payload: { kind: 'deep', depth: 10000 } },
      { payload: { kind: 'getter', name: 'intervals' } },
      { payload: { kind: 'json', value: null } },
      { payload: { kind: 'circular' } },
      { payload: { kind: 'json', value: 'self-destruct' } },
    ];
    const valid = nodeCases(type)
      .filter((c) => c.expect === 'output' && c.msg)
      .map((c) => c.msg!);
    return valid.length ? [...hostile, valid[0]] : hostile;
  }

  it('bursts of 200 messages a second: every message ends in time and Node-RED keeps answering', async function () {
    for (const type of ORDER) {
      const id = `burst-${type}`;
      const count = 200;
      await env.send(type, id, burstMix(type), { count, ratePerSecond: 200 });
      // The admin API answers while the burst runs.
      const t0 = Date.now();
      assert.ok(await env.alive(3000), `${type}: Node-RED did not answer during a burst`);
      const answerMs = Date.now() - t0;
      assert.ok(answerMs < 3000, `${type}: admin API took ${answerMs} ms during a burst`);
      const ids = Array.from({ length: count }, (_, i) => `${id}-${i}`);
      const outcomes = await env.outcomes(type, ids, 1000 + OUTCOME_MS * 2);
      assert.strictEqual(outcomes.size, count);
      stats.burstMessages += count;
    }
  });

  it('redeploys with messages in flight leave Node-RED up, the nodes working and the heap at its baseline', async function () {
    const inFlight = async (round: number): Promise<void> => {
      await Promise.all(
        ORDER.map((type) =>
          env.send(type, `redeploy${round}-${type}`, burstMix(type), { count: 60, ratePerSecond: 200 }),
        ),
      );
      await new Promise((r) => setTimeout(r, 150));
      await env.redeploy();
      assert.ok(await env.alive(), `Node-RED is not answering after redeploy ${round}`);
    };
    await inFlight(0);
    await new Promise((r) => setTimeout(r, 1000));
    const baseline = await env.heapUsed();
    const rounds = 4;
    for (let round = 1; round <= rounds; round++) await inFlight(round);
    // Every node works after the redeploys (an output for a valid message).
    const publish = nodeCases('openadr3-publish').find((c) => c.expect === 'output')!;
    await runCase('openadr3-publish', publish);
    for (const type of ORDER) {
      const valid = nodeCases(type).find((c) => c.expect === 'output');
      if (valid && type !== 'openadr3-publish' && type !== 'openadr3-report') await runCase(type, valid);
    }
    await new Promise((r) => setTimeout(r, 1000));
    const after = await env.heapUsed();
    const growthMb = (after - baseline) / 2 ** 20;
    console.log(
      `      heap after ${rounds} redeploys with messages in flight: ${(after / 2 ** 20).toFixed(1)} MB (baseline ${(baseline / 2 ** 20).toFixed(1)} MB, ${growthMb >= 0 ? '+' : ''}${growthMb.toFixed(1)} MB)`,
    );
    assert.ok(growthMb < 16, `the heap grew by ${growthMb.toFixed(1)} MB over ${rounds} redeploys`);
  });
});
