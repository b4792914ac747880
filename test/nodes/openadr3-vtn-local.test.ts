/**
 * openadr3-vtn's local options: open programs readable without a token, and announcing refused
 * (with a warning and a yellow status, the VTN serving on) where only loopback could reach it.
 * Announcing on a real network is tested in the LAN tests (test/e2e/local-*.e2e.test.ts).
 * Flows saved before these options existed (config versions 1–3) need no migration step: absent,
 * they mean what those flows did — nothing open, nothing announced.
 */
import assert from 'assert';
import { builtNode, helper, recordStatuses } from '../support/node-helper';
import { freePort } from '../support/ports';

const vtnNode = builtNode('openadr3-vtn');

async function until(what: string, test: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('nodes: openadr3-vtn local options', () => {
  afterEach(() => helper.unload());

  it('serves open programs without a token and does not announce a loopback VTN', async () => {
    const port = await freePort();
    await helper.load(
      [vtnNode],
      [
        {
          id: 'vtn',
          type: 'openadr3-vtn',
          port,
          host: '127.0.0.1',
          storeType: 'memory',
          anonymousPrograms: 'local-price, ',
          announce: true,
          wires: [['out']],
        },
        { id: 'out', type: 'helper' },
      ],
    );
    const vtn = helper.getNode('vtn');
    const statuses = recordStatuses(vtn);
    const warnings: string[] = [];
    vtn.on('call:warn', (call: { args: [string] }) => warnings.push(call.args[0]));
    await until('listening', () => statuses.some((s) => /listening/.test(s.text ?? '')));
    assert.ok(
      warnings.some((w) => /not announced on the network: the VTN listens on 127\.0\.0\.1/.test(w)),
      warnings.join('\n'),
    );
    const last = statuses.at(-1)!;
    assert.strictEqual(last.fill, 'yellow');
    assert.match(last.text ?? '', /^not announced · listening/);

    for (const programName of ['local-price', 'private']) {
      const done = new Promise((resolve) => helper.getNode('out').on('input', resolve));
      vtn.receive({ topic: 'program', payload: { programName } });
      await done;
    }
    const base = `http://127.0.0.1:${port}`;
    const open = await fetch(`${base}/openadr3/3.1.0/programs`);
    assert.strictEqual(open.status, 200);
    assert.deepStrictEqual(
      ((await open.json()) as Array<{ programName: string }>).map((p) => p.programName),
      ['local-price'],
    );
    const write = await fetch(`${base}/openadr3/3.0.1/programs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ programName: 'mine' }),
    });
    assert.strictEqual(write.status, 401);
    const yaml = await fetch(`${base}/openadr3/3.1.0/openapi.yaml`);
    assert.strictEqual(yaml.status, 200);
  });

  for (const [saved, extra] of [
    ['0.1.0 (no configVersion)', {}],
    ['config version 1', { configVersion: 1, allowInsecureCallbacks: true }],
    ['config version 2', { configVersion: 2, tls: '', devCert: false }],
    [
      'config version 3',
      { configVersion: 3, callbacksLan: false, callbacksLoopback: true, statusPage: true },
    ],
  ] as const)
    it(`a flow saved as ${saved} serves nothing without a token and announces nothing`, async () => {
      const port = await freePort();
      await helper.load(
        [vtnNode],
        [{ id: 'vtn', type: 'openadr3-vtn', port, host: '127.0.0.1', storeType: 'memory', ...extra }],
      );
      const vtn = helper.getNode('vtn');
      const statuses = recordStatuses(vtn);
      const warnings: string[] = [];
      vtn.on('call:warn', (call: { args: [string] }) => warnings.push(call.args[0]));
      await until('listening', () => statuses.some((s) => /listening/.test(s.text ?? '')));
      vtn.receive({ topic: 'program', payload: { programName: 'local-price' } });
      const base = `http://127.0.0.1:${port}`;
      for (const version of ['3.0.1', '3.1.0']) {
        const r = await fetch(`${base}/openadr3/${version}/programs`);
        assert.strictEqual(r.status, 401, `${version}: ${await r.text()}`);
      }
      assert.ok(!statuses.some((s) => /announced/.test(s.text ?? '')), JSON.stringify(statuses));
      assert.ok(!warnings.some((w) => /announced/.test(w)), warnings.join('\n'));
    });
});
