/** docs/curl.md: every bash block runs, in order, against a real VTN; every operation is covered. */
import assert from 'assert';
import { spawn } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { ensureDevCertificate, loadSpec, type DevCertificate } from '../../../src';
import { requireTool } from '../../support/tools';
import { startTestVtn, type TestVtn } from '../../support/vtn-client';

const doc = fs.readFileSync(path.resolve(__dirname, '..', '..', '..', 'docs', 'curl.md'), 'utf8');
const blocks = [...doc.matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1]);

describe('docs/curl.md', function () {
  // 31 curl processes in a row: generous on a loaded 2-core machine (it is not a speed test).
  this.timeout(120000);
  let t: TestVtn;
  let dev: DevCertificate;
  before(async function () {
    requireTool(this, 'curl');
    requireTool(this, 'python3');
    // Over HTTPS, as the page shows: a development certificate, its CA handed to curl.
    dev = ensureDevCertificate(fs.mkdtempSync(path.join(os.tmpdir(), 'curl-doc-')));
    t = await startTestVtn({ tls: { cert: dev.cert, key: dev.key } });
  });
  after(async () => {
    await t?.close();
    if (dev) fs.rmSync(dev.dir, { recursive: true, force: true });
  });

  it('has a block for every one of the 31 operations', () => {
    const tagged = blocks.map((b) => /# operationId: (\w+)/.exec(b)?.[1]).filter(Boolean);
    const all = loadSpec().operations.map((o) => o.operationId);
    assert.deepStrictEqual([...tagged].sort(), [...all].sort());
  });

  it('runs every block successfully against a running VTN', async () => {
    // Each block is echoed with a marker so a failure names the operation.
    const script = [
      'set -euo pipefail',
      ...blocks.map((b) => `echo "=== ${/# operationId: (\w+)/.exec(b)?.[1] ?? 'setup'}"\n${b}\necho`),
    ].join('\n');
    // Asynchronous: the VTN answering the curls runs in this process's event loop.
    const r = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn('bash', ['-c', script], {
        env: { ...process.env, VTN: t.url, CURL_CA_BUNDLE: dev.caFile },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (status) => resolve({ status, stdout, stderr }));
    });
    assert.strictEqual(r.status, 0, `curl.md failed:\n${r.stdout.slice(-1500)}\n${r.stderr}`);
    assert.strictEqual((r.stdout.match(/^=== /gm) ?? []).length, blocks.length);
    assert.doesNotMatch(r.stdout, /"status":\s*[45]\d\d/);
    assert.match(t.url, /^https:\/\//, 'the page ran against HTTPS');
  });
});
