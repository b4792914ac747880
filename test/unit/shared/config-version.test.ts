import assert from 'assert';
import { migrateConfig } from '../../../nodes/shared/config-version';

/** Stands in for RED._: the key and its substitutions (the catalogs are checked in test/nodes). */
const t = (key: string, subs?: Record<string, string | number>) => `${key} ${JSON.stringify(subs ?? {})}`;

describe('unit: config-version migrations', () => {
  const migrations = [
    (c: Record<string, unknown>) => ({ ...c, port: Number(c.port ?? 8080) }),
    (c: Record<string, unknown>) => ({ ...c, bind: c.host ?? '127.0.0.1' }),
  ];

  it('treats a config without configVersion as version 1 and applies every migration in order', () => {
    const out = migrateConfig({ port: '9000' } as Record<string, unknown>, migrations, t);
    assert.deepStrictEqual(out, { port: 9000, bind: '127.0.0.1', configVersion: 3 });
  });

  it('applies only the migrations a config still needs', () => {
    const out = migrateConfig(
      { configVersion: 2, port: 1, host: '0.0.0.0' } as Record<string, unknown>,
      migrations,
      t,
    );
    assert.deepStrictEqual(out, { configVersion: 3, port: 1, host: '0.0.0.0', bind: '0.0.0.0' });
  });

  it('refuses a config from a newer release instead of guessing', () => {
    assert.throws(
      () => migrateConfig({ configVersion: 9 }, migrations, t),
      /configVersion\.newer \{"version":9,"latest":3\}/,
    );
  });
});
