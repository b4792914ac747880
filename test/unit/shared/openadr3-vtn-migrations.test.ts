import assert from 'assert';
import { migrateConfig } from '../../../nodes/shared/config-version';
import { narrowedCallbacks, VTN_MIGRATIONS } from '../../../nodes/openadr3-vtn/migrations';
import { editorMigrations, plain } from '../../support/editor-migrations';

const t = (key: string) => key;
const runtime = (c: Record<string, unknown>) => migrateConfig(c, VTN_MIGRATIONS.steps, t);

/** What version 1 → 2 adds when a flow has none of the HTTPS settings. */
const HTTPS_DEFAULTS = {
  tls: '',
  devCert: false,
  clientCerts: 'none',
  behindProxy: false,
  publicUrl: '',
  mqttTls: '',
};

describe('unit: openadr3-vtn config migrations', () => {
  const editor = editorMigrations(VTN_MIGRATIONS);
  const both = (saved: Record<string, unknown>): Record<string, unknown> => {
    const out = runtime(saved);
    assert.deepStrictEqual(
      plain(editor.migrate(saved)),
      plain(out),
      'the editor migrates as the runtime does',
    );
    return out;
  };

  it('is at version 3, in the runtime and in the script the editor loads', () => {
    assert.strictEqual(VTN_MIGRATIONS.steps.length + 1, 3);
    assert.strictEqual(editor.latest, 3);
  });

  it('version 1 on loopback with the old checkbox ticked: HTTPS settings added, LAN and loopback callbacks kept', () => {
    const saved = { configVersion: 1, host: '127.0.0.1', port: 8080, allowInsecureCallbacks: true };
    assert.deepStrictEqual(both(saved), {
      configVersion: 3,
      host: '127.0.0.1',
      port: 8080,
      ...HTTPS_DEFAULTS,
      callbacksLan: true,
      callbacksLoopback: true,
      statusPage: true,
    });
    assert.strictEqual(narrowedCallbacks(saved, runtime(saved)), false);
  });

  it('keeps what a loopback VTN allowed for every loopback spelling and for a missing host', () => {
    for (const host of [
      'localhost',
      ' LOCALHOST ',
      '::1',
      '[::1]',
      '127.0.0.2',
      '::ffff:127.0.0.1',
      '',
      undefined,
    ]) {
      const out = both({ configVersion: 1, host, allowInsecureCallbacks: true });
      assert.deepStrictEqual([out.callbacksLan, out.callbacksLoopback], [true, true], String(host));
    }
  });

  it('a VTN reachable from the network (any address, or behind a proxy) gets public callbacks only, with a warning', () => {
    const saved: Array<Record<string, unknown>> = [
      { configVersion: 1, host: '0.0.0.0', allowInsecureCallbacks: true },
      { configVersion: 2, host: '192.168.1.5', tls: 'tls1', allowInsecureCallbacks: 'true' },
      {
        configVersion: 2,
        host: '127.0.0.1',
        behindProxy: true,
        publicUrl: 'https://vtn.example.com',
        allowInsecureCallbacks: true,
      },
    ];
    for (const s of saved) {
      const out = both(s);
      assert.deepStrictEqual(
        [out.callbacksLan, out.callbacksLoopback, 'allowInsecureCallbacks' in out],
        [false, false, false],
      );
      assert.strictEqual(narrowedCallbacks(s, out), true, JSON.stringify(s));
    }
  });

  it('version 2: keeps its HTTPS settings, takes the new callback settings it already carries, keeps a status page turned off', () => {
    const saved = {
      configVersion: 2,
      host: '0.0.0.0',
      tls: 'tls1',
      devCert: true,
      clientCerts: 'required',
      behindProxy: false,
      publicUrl: 'https://vtn.example.com',
      mqttTls: 'tls2',
      allowInsecureCallbacks: false,
      callbacksLoopback: true,
      statusPage: false,
    };
    const { allowInsecureCallbacks: _dropped, ...kept } = saved;
    assert.deepStrictEqual(both(saved), {
      ...kept,
      configVersion: 3,
      callbacksLan: false,
      callbacksLoopback: true,
    });
    assert.strictEqual(narrowedCallbacks(saved, runtime(saved)), false, 'nothing was allowed before');
  });

  it('a flow saved before configVersion existed migrates as version 1 (checkbox unticked: nothing allowed)', () => {
    assert.deepStrictEqual(both({ port: 8443 }), {
      configVersion: 3,
      port: 8443,
      ...HTTPS_DEFAULTS,
      callbacksLan: false,
      callbacksLoopback: false,
      statusPage: true,
    });
  });

  it('leaves a current config as it is (idempotent), in both', () => {
    const current = {
      configVersion: 3,
      host: '0.0.0.0',
      ...HTTPS_DEFAULTS,
      tls: 'tls1',
      callbacksLan: true,
      callbacksLoopback: false,
      statusPage: false,
      // A version-3 node still carries the old property's default: it must not count again.
      allowInsecureCallbacks: true,
    };
    assert.deepStrictEqual(both(current), current);
    assert.strictEqual(narrowedCallbacks(current, current), false);
    const once = runtime({ configVersion: 1, host: '0.0.0.0', allowInsecureCallbacks: true });
    assert.deepStrictEqual(both(once), once);
  });

  it('a config from a newer release: the runtime refuses it, the editor shows it unchanged', () => {
    assert.throws(() => runtime({ configVersion: 4 }), /configVersion\.newer/);
    assert.deepStrictEqual(plain(editor.migrate({ configVersion: 4, host: 'x' })), {
      configVersion: 4,
      host: 'x',
    });
  });
});
