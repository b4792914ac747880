/**
 * Reading the demo pipeline's VTN as its BL client (the demo's `bl_client`/`1001`), for the e2e
 * tests of `npm start` and of the full-pipeline example, which check the same hops.
 */
import assert from 'assert';
import fs from 'fs';
import path from 'path';
import { Agent, fetch as undiciFetch } from 'undici';
import { waitFor } from './node-red-process';

export type VtnObject = Record<string, unknown>;

export interface DemoVtnReader {
  /** GET a list (e.g. `/programs`) with the BL token. */
  get(path: string): Promise<VtnObject[]>;
  /** Wait until `path` lists something; fails naming `what`. */
  waitForList(path: string, ms: number, what: string): Promise<VtnObject[]>;
  /** The pricing program and its day of prices, once the flow has published them. */
  waitForPricing(ms: number): Promise<{ program: VtnObject; event: VtnObject }>;
}

/**
 * The demo VTN serves HTTPS with the development certificate of the Node-RED in `userDir`: this
 * reader trusts that CA file and nothing else, as a VEN given the CA out of band would.
 */
export async function demoVtnReader(vtnPort: number, userDir: string): Promise<DemoVtnReader> {
  const vtn = `https://127.0.0.1:${vtnPort}/openadr3/3.0.1`;
  const caFile = path.join(userDir, 'openadr3-vtn', 'dev-tls', 'ca.pem');
  let dispatcher: Agent | undefined;
  const fetch = (url: string, init: Parameters<typeof undiciFetch>[1] = {}) => {
    // The CA is made by the first node that needs it, once Node-RED starts its flows.
    dispatcher ??= new Agent({ connect: { ca: fs.readFileSync(caFile, 'utf8') } });
    return undiciFetch(url, { ...init, dispatcher });
  };
  // The editor answers before every node has started: wait for the VTN node to listen (a busy
  // machine can take seconds between the two).
  const r = await waitFor(
    () =>
      fetch(`${vtn}/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials&client_id=bl_client&client_secret=1001',
      }),
    20000,
    `the VTN listening on port ${vtnPort}`,
  );
  assert.strictEqual(r.status, 200, 'a token for bl_client');
  const { access_token: token } = (await r.json()) as { access_token: string };
  const get = async (path: string): Promise<VtnObject[]> => {
    const res = await fetch(`${vtn}${path}`, { headers: { authorization: `Bearer ${token}` } });
    assert.strictEqual(res.status, 200, `GET ${path}`);
    return (await res.json()) as VtnObject[];
  };
  const waitForList = (path: string, ms: number, what: string): Promise<VtnObject[]> =>
    waitFor(
      async () => {
        const list = await get(path);
        return list.length ? list : undefined;
      },
      ms,
      what,
    );
  return {
    get,
    waitForList,
    async waitForPricing(ms) {
      const [program] = await waitForList('/programs', ms, 'the pricing program on the VTN');
      assert.strictEqual(program.programName, 'etou-dynamic-pricing');
      const [event] = await waitForList(`/events?programID=${program.id}`, ms, 'the price event on the VTN');
      assert.ok((event.intervals as unknown[]).length >= 13, 'a day of prices');
      return { program, event };
    },
  };
}
