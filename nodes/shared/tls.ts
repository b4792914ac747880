/**
 * Node-RED's own `tls-config` node as TLS options for the pack: its certificate, key, CA and
 * passphrase (from files or pasted in), and its "verify server certificate" box.
 */
import os from 'os';
import path from 'path';
import type { NodeAPI } from 'node-red';
import { ensureDevCertificate, localNames, type DevCertificate } from '../../src/tls/certificates';
import { configNode } from './red';

export interface TlsConfigOptions {
  cert?: string | Buffer;
  key?: string | Buffer;
  ca?: string | Buffer;
  passphrase?: string;
  /** The tls-config's "Verify server certificate" (true unless unticked). */
  verifyServer: boolean;
}

interface TlsConfigNode {
  valid?: boolean;
  addTLSOptions(opts: Record<string, unknown>): Record<string, unknown>;
}

/**
 * The options of the tls-config node `id`, or undefined when none is chosen. Throws (for a red
 * status) when the chosen node is missing or could not read its files. `which` names the setting
 * in the message: the TLS configuration, or the MQTT TLS configuration.
 */
export function tlsConfigOptions(
  RED: NodeAPI,
  id: unknown,
  which: 'tls' | 'mqtt',
): TlsConfigOptions | undefined {
  if (typeof id !== 'string' || !id.trim()) return undefined;
  const what = which === 'mqtt' ? RED._('tls.setting.mqtt') : RED._('tls.setting.tls');
  const n = configNode<TlsConfigNode>(RED, id);
  if (!n || typeof n.addTLSOptions !== 'function')
    throw new Error(RED._('tls.errors.notFound', { what, id }));
  if (n.valid === false) throw new Error(RED._('tls.errors.unreadable', { what }));
  const o = n.addTLSOptions({});
  return {
    cert: o.cert as string | Buffer | undefined,
    key: o.key as string | Buffer | undefined,
    ca: o.ca as string | Buffer | undefined,
    passphrase: o.passphrase as string | undefined,
    verifyServer: o.rejectUnauthorized !== false,
  };
}

/**
 * This Node-RED's development CA and server certificate (`<userDir>/openadr3-vtn/dev-tls/`),
 * made on first use and reused: what a VTN node serves when told to use a development
 * certificate, and what a VTN connection trusts when told to trust it. Both sides call this, in
 * whichever order Node-RED starts them; the files are made once.
 */
export function devCertificate(RED: NodeAPI, extraNames: string[] = []): DevCertificate {
  const userDir = (RED.settings as { userDir?: string }).userDir ?? path.join(os.homedir(), '.node-red');
  const names = localNames();
  for (const n of extraNames) {
    const name = n.trim().toLowerCase();
    if (name && !['0.0.0.0', '::', '[::]'].includes(name) && !names.includes(name)) names.push(name);
  }
  return ensureDevCertificate(path.join(userDir, 'openadr3-vtn', 'dev-tls'), names);
}
