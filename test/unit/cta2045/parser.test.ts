import assert from 'assert';
import {
  fromHex,
  toHex,
  shed,
  endShed,
  loadUp,
  deviceInfoReply,
  commodityReply,
  frame,
} from '../../../src/cta2045/codec';
import { FrameParser, ParserEvent } from '../../../src/cta2045/parser';

function summary(events: ParserEvent[]): string[] {
  return events.map((e) => {
    switch (e.kind) {
      case 'frame':
        return `frame ${toHex(e.bytes)}`;
      case 'ack':
        return 'ack';
      case 'nak':
        return `nak ${e.reason}`;
      case 'reject':
        return `reject ${e.nak}`;
    }
  });
}

/** Small deterministic PRNG (mulberry32) so a failing seed can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('cta2045 stream parser', () => {
  it('delivers a frame split into single bytes', () => {
    const p = new FrameParser();
    const bytes = fromHex('08 01 00 02 01 2B B5 68');
    const events: ParserEvent[] = [];
    for (const b of bytes) events.push(...p.push([b], 0));
    assert.deepStrictEqual(summary(events), ['frame 08 01 00 02 01 2B B5 68']);
    assert.strictEqual(p.receiving(), false);
  });

  it('recognises link ACK and NAK (2 bytes, no checksum)', () => {
    const p = new FrameParser();
    assert.deepStrictEqual(summary(p.push(fromHex('06 00 15 03 15 06'), 0)), ['ack', 'nak 3', 'nak 6']);
  });

  it('skips garbage before, between and after frames', () => {
    const p = new FrameParser();
    const stream = fromHex('FF 00 13 08 01 00 02 02 00 09 3F AA 08 01 00 02 03 02 02 43 7F');
    assert.deepStrictEqual(summary(p.push(stream, 0)), [
      'frame 08 01 00 02 02 00 09 3F',
      'frame 08 01 00 02 03 02 02 43',
    ]);
    assert.ok(p.discarded >= 5);
  });

  it('NAKs a bad checksum with 0x03 and still finds the next frame', () => {
    const p = new FrameParser();
    const events = p.push(fromHex('08 01 00 02 01 2B B5 69 08 01 00 02 02 00 09 3F'), 0);
    assert.deepStrictEqual(summary(events), ['reject 3', 'frame 08 01 00 02 02 00 09 3F']);
  });

  it('NAKs a Basic frame with a wrong length with 0x02', () => {
    const p = new FrameParser();
    const bad = frame([8, 1], [1, 0x2b, 0]);
    assert.deepStrictEqual(summary(p.push(bad, 0)).slice(0, 1), ['reject 2']);
  });

  it('NAKs an oversize frame with 0x02 without waiting for its bytes', () => {
    const p = new FrameParser({ maxPayload: 128 });
    assert.deepStrictEqual(summary(p.push(fromHex('08 02 02 00'), 0)), ['reject 2']);
  });

  it('NAKs an unknown message type (valid checksum) and an unsupported MTSQ with 0x06', () => {
    const p = new FrameParser();
    assert.deepStrictEqual(summary(p.push(fromHex('08 32 00 02 01 01 E2 34'), 0)), ['reject 6']);
    assert.deepStrictEqual(summary(p.push(frame([8, 4], []), 0)), ['reject 6']);
  });

  it('garbage inside a frame costs that frame only: the next frame is still delivered', () => {
    const p = new FrameParser();
    const events = p.push(fromHex('08 01 00 FF 02 01 2B B5 68 08 01 00 02 02 00 09 3F'), 0);
    assert.ok(summary(events).includes('frame 08 01 00 02 02 00 09 3F'), summary(events).join(', '));
    const q = new FrameParser();
    const corrupted = [
      ...q.push(fromHex('08 01 00 02 01 77 2B B5 68 08 01 00 02 17 2B 73 94'), 0),
      ...q.expire(1000),
    ];
    assert.ok(summary(corrupted).includes('frame 08 01 00 02 17 2B 73 94'), summary(corrupted).join(', '));
    assert.ok(
      summary(corrupted).some((e) => e.startsWith('reject')),
      'the damaged frame is NAKed',
    );
  });

  it('times out a truncated frame after 500 ms with 0x05, and not before', () => {
    const p = new FrameParser();
    assert.deepStrictEqual(p.push(fromHex('08 01 00 02 01'), 1000), []);
    assert.strictEqual(p.nextDeadline(), 1500);
    assert.deepStrictEqual(p.expire(1499), []);
    assert.deepStrictEqual(summary(p.expire(1500)), ['reject 5']);
    assert.strictEqual(p.receiving(), false);
    assert.strictEqual(p.nextDeadline(), null);
  });

  it('expires a stale partial before bytes arriving later can complete it', () => {
    const p = new FrameParser();
    p.push(fromHex('08 01 00 02 01'), 0);
    const events = p.push(fromHex('08 01 00 02 02 00 09 3F'), 700);
    assert.deepStrictEqual(summary(events), ['reject 5', 'frame 08 01 00 02 02 00 09 3F']);
  });

  it('property: random garbage and random splits never throw and never lose a valid frame', () => {
    const pool = [
      shed(3600),
      endShed(),
      loadUp(1800),
      fromHex('08 01 00 02 03 01 04 42'),
      fromHex('08 03 00 00 76 D3'),
      deviceInfoReply({
        responseCode: 0,
        ctaVersion: 'B',
        vendorId: 1,
        deviceType: 3,
        deviceRevision: 1,
        capabilityBitmap: 0x40,
        model: 'M',
        serial: 'S',
      }),
      commodityReply([{ code: 7, measured: false, instantaneous: 0, cumulative: 4242 }]),
    ];
    for (let seed = 1; seed <= 300; seed++) {
      const rand = rng(seed);
      const sent: string[] = [];
      const stream: number[] = [];
      const frames = 1 + Math.floor(rand() * 8);
      for (let f = 0; f < frames; f++) {
        const garbage = Math.floor(rand() * 12);
        // Garbage is any byte at all, including header-like 08/09/06/15.
        for (let g = 0; g < garbage; g++) stream.push(Math.floor(rand() * 256));
        const fr = pool[Math.floor(rand() * pool.length)];
        sent.push(toHex(fr));
        stream.push(...fr);
      }
      for (let g = Math.floor(rand() * 6); g > 0; g--) stream.push(Math.floor(rand() * 256));
      const p = new FrameParser();
      const got: string[] = [];
      let now = 0;
      let at = 0;
      while (at < stream.length) {
        const n = 1 + Math.floor(rand() * 9);
        now += Math.floor(rand() * 20);
        for (const e of p.push(stream.slice(at, at + n), now))
          if (e.kind === 'frame') got.push(toHex(e.bytes));
        at += n;
      }
      // Silence after the stream: whatever partial a false start left must time out.
      for (const e of p.expire(now + 10_000)) if (e.kind === 'frame') got.push(toHex(e.bytes));
      for (const e of p.expire(now + 20_000)) if (e.kind === 'frame') got.push(toHex(e.bytes));
      // Every sent frame appears, in order (a garbage-made frame may appear in between).
      let j = 0;
      for (const g of got) if (j < sent.length && g === sent[j]) j++;
      assert.strictEqual(
        j,
        sent.length,
        `seed ${seed}: sent ${sent.length}, found ${j} in order; got ${got.join(' | ')}`,
      );
      assert.strictEqual(p.receiving(), false, `seed ${seed}: nothing left buffered after the timeout`);
    }
  });

  it('property: pure random bytes in random chunks never throw', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const rand = rng(seed * 7919);
      const p = new FrameParser({ maxPayload: 1 + Math.floor(rand() * 4096) });
      let now = 0;
      for (let c = 0; c < 50; c++) {
        const chunk = Array.from({ length: Math.floor(rand() * 40) }, () => Math.floor(rand() * 256));
        now += Math.floor(rand() * 300);
        p.push(chunk, now);
      }
      p.expire(now + 1e6);
      p.expire(now + 2e6);
      assert.strictEqual(p.receiving(), false);
    }
  });
});
