import assert from 'assert';
import type { NodeAPI } from 'node-red';
import {
  configMigrationsPath,
  configMigrationsScript,
  serveConfigMigrations,
} from '../../../nodes/shared/config-migration-editor';
import { VEN_MIGRATIONS } from '../../../nodes/openadr3-ven/migrations';
import { VTN_MIGRATIONS } from '../../../nodes/openadr3-vtn/migrations';

type Handler = (req: unknown, res: { type(t: string): { send(body: string): void } }) => void;

/** Node-RED's admin server as far as serving a script goes: the GET routes added to it. */
function fakeRuntime(): { RED: NodeAPI; routes: Map<string, Handler[]> } {
  const routes = new Map<string, Handler[]>();
  const httpAdmin = {
    get(path: string, handler: Handler) {
      routes.set(path, [...(routes.get(path) ?? []), handler]);
    },
  };
  return { RED: { httpAdmin } as unknown as NodeAPI, routes };
}

function fetch(handler: Handler): { type: string; body: string } {
  const out = { type: '', body: '' };
  handler(
    {},
    {
      type(t: string) {
        out.type = t;
        return {
          send(body: string) {
            out.body = body;
          },
        };
      },
    },
  );
  return out;
}

describe('unit: config migrations served to the editor', () => {
  it('serves each type once per runtime, at the path its .html loads, as JavaScript', () => {
    const { RED, routes } = fakeRuntime();
    for (let i = 0; i < 3; i++) {
      serveConfigMigrations(RED, VEN_MIGRATIONS);
      serveConfigMigrations(RED, VTN_MIGRATIONS);
    }
    assert.deepStrictEqual([...routes.keys()].sort(), [
      '/openadr3-ven/config-migrations.js',
      '/openadr3-vtn/config-migrations.js',
    ]);
    for (const handlers of routes.values())
      assert.strictEqual(handlers.length, 1, 'a redeploy adds no second route');
    const served = fetch(routes.get(configMigrationsPath('openadr3-vtn'))![0]);
    assert.strictEqual(served.type, 'application/javascript');
    assert.strictEqual(served.body, configMigrationsScript(VTN_MIGRATIONS));
    assert.match(served.body, /callbackPolicyFromCheckbox/);
  });

  it('does nothing when the editor is off (no admin server)', () => {
    assert.doesNotThrow(() => serveConfigMigrations({} as NodeAPI, VEN_MIGRATIONS));
  });

  it('refuses a step the editor could not be given by name (an arrow function)', () => {
    assert.throws(
      () => configMigrationsScript({ type: 'x', steps: [(c) => ({ ...c, y: 1 })] }),
      /named function declaration/,
    );
  });
});
