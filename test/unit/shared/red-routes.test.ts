/** addRoute on Node-RED's Express 4 (the runtime's) and on Express 5: added for any method, removed exactly. */
import assert from 'assert';
import http from 'http';
import type { AddressInfo } from 'net';
import { addRoute, type HttpApp } from '../../../nodes/shared/red';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const express4 = require('node-red/node_modules/express') as () => HttpApp & http.RequestListener;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const express5 = require('express') as () => HttpApp & http.RequestListener;

for (const [name, make] of [
  ['Express 4 (Node-RED)', express4],
  ['Express 5', express5],
] as const) {
  describe(`unit: addRoute on ${name}`, () => {
    let server: http.Server;
    let app: HttpApp & http.RequestListener;
    let url: string;
    beforeEach(async () => {
      app = make();
      server = http.createServer(app);
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterEach(() => new Promise((r) => server.close(r)));

    it('serves a route for any method and removes only that method and path', async () => {
      const removePost = addRoute(app, 'post', '/hook', (_req, res) => res.status(200).json({ post: true }));
      const removeGet = addRoute(app, 'get', '/hook', (_req, res) => res.status(200).json({ get: true }));
      const removeOther = addRoute(app, 'post', '/other', (_req, res) =>
        res.status(200).json({ other: true }),
      );
      assert.deepStrictEqual(await (await fetch(`${url}/hook`, { method: 'POST' })).json(), { post: true });
      removePost();
      assert.strictEqual((await fetch(`${url}/hook`, { method: 'POST' })).status, 404, 'gone after close');
      assert.deepStrictEqual(await (await fetch(`${url}/hook`)).json(), { get: true }, 'GET stays');
      assert.strictEqual((await fetch(`${url}/other`, { method: 'POST' })).status, 200, 'other paths stay');
      removeGet();
      removeOther();
      assert.strictEqual((await fetch(`${url}/hook`)).status, 404);
      // A redeploy adds the route again: exactly one handler answers.
      let calls = 0;
      addRoute(app, 'post', '/hook', (_req, res) => void (calls++, res.json({})));
      await fetch(`${url}/hook`, { method: 'POST' });
      assert.strictEqual(calls, 1);
    });

    it('passes middleware (a permission check) before the handler', async () => {
      const deny: Parameters<typeof addRoute>[3] = (_req, res) => void res.status(401).json({});
      addRoute(app, 'get', '/admin', deny, (_req, res) => res.json({ secret: 1 }));
      assert.strictEqual((await fetch(`${url}/admin`)).status, 401);
    });
  });
}

describe('unit: addRoute without a server', () => {
  it('does nothing (settings.js may turn the HTTP node server off)', () => {
    const remove = addRoute(undefined, 'post', '/x', () => undefined);
    assert.doesNotThrow(remove);
  });
});
