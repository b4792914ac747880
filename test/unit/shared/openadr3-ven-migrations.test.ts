import assert from 'assert';
import { migrateConfig, upgradeConfig } from '../../../nodes/shared/config-version';
import { VEN_MIGRATIONS } from '../../../nodes/openadr3-ven/migrations';
import { editorMigrations, plain } from '../../support/editor-migrations';

const t = (key: string) => key;
const runtime = (c: Record<string, unknown>) => migrateConfig(c, VEN_MIGRATIONS.steps, t);

describe('unit: openadr3-ven config migrations', () => {
  const editor = editorMigrations(VEN_MIGRATIONS);

  it('is at version 2, in the runtime and in the script the editor loads', () => {
    assert.strictEqual(VEN_MIGRATIONS.steps.length + 1, 2);
    assert.strictEqual(editor.latest, 2);
  });

  const cases: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
    [
      'version 1, webhook ticked → webhook push',
      { configVersion: 1, webhook: true, callbackBase: 'http://10.0.0.2:1880' },
      { configVersion: 2, webhook: true, callbackBase: 'http://10.0.0.2:1880', push: 'webhook' },
    ],
    [
      'version 1, webhook as text → webhook push',
      { webhook: 'true' },
      { configVersion: 2, webhook: 'true', push: 'webhook' },
    ],
    [
      'version 1, not ticked → polling only',
      { configVersion: 1, webhook: false },
      { configVersion: 2, webhook: false, push: 'none' },
    ],
    // The editor fills a missing push with its default (auto); a version-1 node never had one.
    [
      'version 1 with the editor default filled in',
      { configVersion: 1, push: 'auto' },
      { configVersion: 2, push: 'none' },
    ],
    [
      'no configVersion at all (saved before it existed)',
      { pollIntervalS: 30 },
      { configVersion: 2, pollIntervalS: 30, push: 'none' },
    ],
  ];

  for (const [name, saved, expected] of cases) {
    it(`${name}: runtime and editor agree`, () => {
      assert.deepStrictEqual(runtime(saved), expected);
      assert.deepStrictEqual(plain(editor.migrate(saved)), expected);
    });
  }

  it('leaves a current config as it is (idempotent), in both', () => {
    for (const push of ['auto', 'mqtt', 'webhook', 'none']) {
      const current = { configVersion: 2, push, webhook: true };
      assert.deepStrictEqual(runtime(current), current);
      assert.deepStrictEqual(plain(editor.migrate(current)), current);
      assert.deepStrictEqual(
        runtime(runtime({ configVersion: 1, webhook: true })),
        runtime({ configVersion: 1, webhook: true }),
      );
    }
  });

  it('a config from a newer release: the runtime refuses it, the editor shows it unchanged', () => {
    assert.throws(() => runtime({ configVersion: 3, push: 'later' }), /configVersion\.newer/);
    assert.deepStrictEqual(upgradeConfig({ configVersion: 3, push: 'later' }, VEN_MIGRATIONS.steps), {
      configVersion: 3,
      push: 'later',
    });
    assert.deepStrictEqual(plain(editor.migrate({ configVersion: 3, push: 'later' })), {
      configVersion: 3,
      push: 'later',
    });
  });
});
