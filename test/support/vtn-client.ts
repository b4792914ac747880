/** A small HTTP client for VTN tests: real fetch against a VTN listening on 127.0.0.1. */
import { createVtn, type Vtn, type VtnOptions } from '../../src';
import { createTestDatabase } from './postgres';

export interface Reply {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string;
}

export interface TestVtn {
  vtn: Vtn;
  url: string;
  token(clientID: string, secret: string): Promise<string>;
  call(
    method: string,
    path: string,
    token?: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Reply>;
  close(): Promise<void>;
}

export async function startTestVtn(options: VtnOptions = {}): Promise<TestVtn> {
  // VTN_TEST_STORE=postgres runs the HTTP suites against a fresh PostgreSQL database per VTN.
  const db =
    process.env.VTN_TEST_STORE === 'postgres' && options.store === undefined
      ? await createTestDatabase()
      : undefined;
  const vtn = await createVtn({
    callbacks: { loopback: true },
    ...options,
    ...(db ? { store: db.url } : {}),
  });
  const { url } = await vtn.listen(0, '127.0.0.1');
  const call = async (
    method: string,
    path: string,
    token?: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply> => {
    const h: Record<string, string> = { ...headers };
    if (token) h.authorization = `Bearer ${token}`;
    let payload: string | undefined;
    if (body !== undefined) {
      payload = typeof body === 'string' ? body : JSON.stringify(body);
      h['content-type'] ??= 'application/json';
    }
    const res = await fetch(url + path, { method, headers: h, body: payload });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON (e.g. the status page): leave body undefined, text has it
    }
    return { status: res.status, headers: res.headers, body: parsed, text };
  };
  return {
    vtn,
    url,
    call,
    async token(clientID, secret) {
      const r = await call(
        'POST',
        '/auth/token',
        undefined,
        `grant_type=client_credentials&client_id=${clientID}&client_secret=${secret}`,
        {
          'content-type': 'application/x-www-form-urlencoded',
        },
      );
      if (r.status !== 200) throw new Error(`token for ${clientID}: ${r.status} ${r.text}`);
      return r.body.access_token as string;
    },
    close: async () => {
      await vtn.close();
      await db?.drop();
    },
  };
}
