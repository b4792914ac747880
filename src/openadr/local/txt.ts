/**
 * The DNS-SD TXT record of a local VTN, as the OpenADR 3.1.0 Definition ("Discovery and
 * Configuration of Local VTNs") lists it: version, base_path, local_url, program_names,
 * requires_auth, openapi_url. Building it for the announcer and reading it back for browsers.
 */

/** The DNS-SD service type a local VTN advertises: `_openadr3._tcp`. */
export const OPENADR3_SERVICE = 'openadr3';

/** A TXT string (key=value) holds at most 255 bytes (RFC 6763 §6.1). */
const MAX_TXT_STRING = 255;

export type TxtRecord = Record<string, string>;

export interface VtnTxt {
  /** The OpenADR version served at this base path, e.g. 3.1.0. */
  version: string;
  /** The prefix before the API's endpoints, without leading slash, e.g. openadr3/3.1.0. */
  basePath: string;
  /** e.g. https://gateway.local:8443/openadr3/3.1.0 */
  localUrl: string;
  /** Programs local VENs are meant to use (see announce.ts for which ones). */
  programNames: string[];
  requiresAuth: boolean;
  openapiUrl: string;
}

/**
 * The TXT record for one announcement. `program_names` is comma separated; a program name with a
 * comma in it could not be read back, so it is left out (and named in `omitted`), as are names
 * that no longer fit in the 255 bytes a TXT string may hold.
 */
export function vtnTxtRecord(t: VtnTxt): { txt: TxtRecord; omitted: string[] } {
  const omitted: string[] = [];
  let programs = '';
  for (const name of t.programNames) {
    if (name.includes(',') || name === '') {
      omitted.push(name);
      continue;
    }
    const next = programs ? `${programs},${name}` : name;
    if (Buffer.byteLength(`program_names=${next}`) > MAX_TXT_STRING) omitted.push(name);
    else programs = next;
  }
  const txt: TxtRecord = {
    version: t.version,
    base_path: t.basePath.replace(/^\/+/, ''),
    local_url: t.localUrl,
    program_names: programs,
    // Spelled as the Definition writes them.
    requires_auth: t.requiresAuth ? 'True' : 'False',
    openapi_url: t.openapiUrl,
  };
  for (const [key, value] of Object.entries(txt))
    if (Buffer.byteLength(`${key}=${value}`) > MAX_TXT_STRING)
      throw new Error(`TXT ${key} is longer than a TXT string may be (255 bytes): ${value.slice(0, 60)}…`);
  return { txt, omitted };
}

/** One local VTN as a browser found it. */
export interface AnnouncedVtn {
  /** The service instance name, e.g. "Home VTN" (what resolve-by-name looks for). */
  name: string;
  /** The SRV target, e.g. gateway.local (what a VEN should connect to). */
  host: string;
  port: number;
  /** The A/AAAA addresses that came with the answer (they may change; prefer `host`). */
  addresses: string[];
  version: string | undefined;
  basePath: string | undefined;
  programNames: string[];
  /** From requires_auth; undefined when the VTN did not say. */
  requiresAuth: boolean | undefined;
  openapiUrl: string | undefined;
  /**
   * The base URL to configure: local_url when announced, else built from the SRV target, port
   * and base_path (https, as the Definition requires).
   */
  url: string;
  /** Every TXT key as received (other VTNs may announce more). */
  txt: TxtRecord;
}

/** Host names as DNS writes them may end with a dot; URLs do not. */
export function hostWithoutDot(host: string): string {
  return host.replace(/\.$/, '');
}

/** Read a TXT record (keys are case-insensitive, RFC 6763 §6.4) into what a VEN needs. */
export function readVtnTxt(
  name: string,
  host: string,
  port: number,
  addresses: string[],
  raw: Record<string, unknown>,
): AnnouncedVtn {
  const txt: TxtRecord = {};
  for (const [k, v] of Object.entries(raw ?? {}))
    txt[k.toLowerCase()] = Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
  const basePath = txt.base_path?.replace(/^\/+/, '');
  const auth = txt.requires_auth?.trim().toLowerCase();
  const shownHost = hostWithoutDot(host);
  const url =
    txt.local_url ||
    `https://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}${basePath ? `/${basePath}` : ''}`;
  return {
    name,
    host: shownHost,
    port,
    addresses: [...new Set(addresses)],
    version: txt.version,
    basePath,
    programNames: (txt.program_names ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    requiresAuth: auth === 'true' ? true : auth === 'false' ? false : undefined,
    openapiUrl: txt.openapi_url || undefined,
    url,
    txt,
  };
}
