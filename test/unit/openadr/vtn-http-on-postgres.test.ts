/**
 * The VTN's HTTP suites (every 3.0.1 operation, the rules, the edge cases), run once more with
 * every test VTN on its own fresh PostgreSQL database (VTN_TEST_STORE=postgres, see
 * test/support/vtn-client.ts). A child mocha run, so the suites stay written once.
 */
import assert from 'assert';
import { spawn } from 'child_process';
import path from 'path';
import { requirePostgres } from '../../support/postgres';

const root = path.resolve(__dirname, '..', '..', '..');
const SUITES = ['vtn-operations.test.ts', 'vtn-rules.test.ts', 'vtn-edges.test.ts'];

interface MochaJson {
  stats: { tests: number; passes: number; failures: number; pending: number };
  failures: Array<{ fullTitle: string; err: { message: string } }>;
}

describe('VTN HTTP suites on PostgreSQL', function () {
  this.timeout(180_000);

  it(`passes ${SUITES.join(', ')} with the PostgreSQL store`, async function () {
    await requirePostgres(this);
    const child = spawn(
      process.execPath,
      [
        require.resolve('mocha/bin/mocha.js'),
        '--require',
        'tsx/cjs',
        '--require',
        path.join('test', 'support', 'hooks.ts'),
        '--reporter',
        'json',
        '--timeout',
        '30000',
        '--exit',
        ...SUITES.map((f) => path.join('test', 'unit', 'openadr', f)),
      ],
      { cwd: root, env: { ...process.env, VTN_TEST_STORE: 'postgres' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    await new Promise((r) => child.once('exit', r));
    const start = out.indexOf('{\n');
    assert.ok(start >= 0, `no mocha JSON from the child run: ${out.slice(0, 500)} ${err.slice(-500)}`);
    const report = JSON.parse(out.slice(start)) as MochaJson;
    assert.deepStrictEqual(
      report.failures.map((f) => `${f.fullTitle}: ${f.err.message}`),
      [],
    );
    assert.ok(report.stats.passes >= 20, `only ${report.stats.passes} tests ran`);
    assert.strictEqual(report.stats.pending, 0);
  });
});
