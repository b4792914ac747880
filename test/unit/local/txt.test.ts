/** The local VTN TXT record: what is written, and how what others announce is read. */
import assert from 'assert';
import { instanceName, isLoopbackHost } from '../../../src/openadr/local/announce';
import { readVtnTxt, vtnTxtRecord } from '../../../src/openadr/local/txt';

const base = {
  version: '3.1.0',
  basePath: '/openadr3/3.1.0',
  localUrl: 'https://gateway.local:8443/openadr3/3.1.0',
  openapiUrl: 'https://gateway.local:8443/openadr3/3.1.0/openapi.yaml',
  requiresAuth: false,
};

describe('local VTN TXT record', () => {
  it('has the keys the Definition lists, spelled as it spells them', () => {
    const { txt, omitted } = vtnTxtRecord({ ...base, programNames: ['local-price', 'tou'] });
    assert.deepStrictEqual(txt, {
      version: '3.1.0',
      base_path: 'openadr3/3.1.0',
      local_url: 'https://gateway.local:8443/openadr3/3.1.0',
      program_names: 'local-price,tou',
      requires_auth: 'False',
      openapi_url: 'https://gateway.local:8443/openadr3/3.1.0/openapi.yaml',
    });
    assert.deepStrictEqual(omitted, []);
    assert.strictEqual(
      vtnTxtRecord({ ...base, requiresAuth: true, programNames: [] }).txt.requires_auth,
      'True',
    );
  });

  it('leaves out program names it could not carry, and says which', () => {
    const many = Array.from({ length: 30 }, (_, i) => `program-${i}`);
    const { txt, omitted } = vtnTxtRecord({ ...base, programNames: ['a,b', ...many] });
    assert.ok(Buffer.byteLength(`program_names=${txt.program_names}`) <= 255);
    assert.strictEqual(omitted[0], 'a,b');
    assert.ok(omitted.includes('program-29'));
    assert.strictEqual(txt.program_names.split(',').length + omitted.length, 31);
  });

  it('refuses a value a TXT string cannot hold', () => {
    assert.throws(
      () => vtnTxtRecord({ ...base, localUrl: `https://${'x'.repeat(300)}.local/`, programNames: [] }),
      /longer than a TXT string may be/,
    );
  });

  it('reads what another VTN announces: keys in any case, True/False, missing local_url', () => {
    const vtn = readVtnTxt('Other VTN', 'other.local.', 883, ['192.0.2.1', '192.0.2.1'], {
      Version: '3.1.0',
      BASE_PATH: '/api',
      program_names: 'a, b,,c',
      requires_auth: 'TRUE',
      extra: Buffer.from('kept'),
    });
    assert.strictEqual(vtn.host, 'other.local');
    assert.deepStrictEqual(vtn.addresses, ['192.0.2.1']);
    assert.deepStrictEqual(vtn.programNames, ['a', 'b', 'c']);
    assert.strictEqual(vtn.requiresAuth, true);
    assert.strictEqual(vtn.url, 'https://other.local:883/api');
    assert.strictEqual(vtn.txt.extra, 'kept');
    assert.strictEqual(readVtnTxt('x', 'h.local', 1, [], {}).requiresAuth, undefined);
  });

  it('names announcements per version without dots, and knows loopback', () => {
    assert.strictEqual(instanceName('Home.VTN', '3.1.0', true), 'Home-VTN');
    assert.strictEqual(instanceName('Home VTN', '3.0.1', false), 'Home VTN (3-0-1)');
    assert.ok(isLoopbackHost('127.0.0.1') && isLoopbackHost('::1') && isLoopbackHost('localhost'));
    assert.ok(!isLoopbackHost('0.0.0.0') && !isLoopbackHost('192.0.2.1'));
  });
});
