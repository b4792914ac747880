/**
 * X.509 certificates made locally (node-forge): a development CA and the server certificate it
 * issues, so a VTN can speak HTTPS on a private network or a laptop without a public CA, and
 * VENs can verify it by trusting that one CA file (`curl --cacert`, a tls-config node's CA).
 * Tests use the same functions for the certificates they need (expired, wrong host, client).
 */
import crypto from 'crypto';
import fs from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';
import forge from 'node-forge';

export interface PemPair {
  /** PEM certificate. */
  cert: string;
  /** PEM private key (PKCS#8 or PKCS#1). */
  key: string;
}

export interface CertificateOptions {
  commonName: string;
  /** Host names and IP addresses the certificate is for (subjectAltName). */
  names?: string[];
  notBefore?: Date;
  notAfter?: Date;
  /** Validity from now when notAfter is not given. Default 397 days (what browsers accept). */
  days?: number;
  /** Usable as a TLS client certificate (extendedKeyUsage clientAuth). Default false. */
  client?: boolean;
  /** Usable as a TLS server certificate (extendedKeyUsage serverAuth). Default true. */
  server?: boolean;
}

const DAY_MS = 86400000;

function serial(): string {
  // Positive (first bit clear), 16 random bytes: unique without bookkeeping.
  const b = crypto.randomBytes(16);
  b[0] &= 0x7f;
  return b.toString('hex');
}

function keyPair(): forge.pki.rsa.KeyPair {
  // forge uses Node's native key generation for this (fast), not its pure-JS one.
  return forge.pki.rsa.generateKeyPair({ bits: 2048, e: 0x10001 });
}

function altNames(names: string[]): Array<{ type: number; value?: string; ip?: string }> {
  return names.map((n) => (net.isIP(n) ? { type: 7, ip: n } : { type: 2, value: n }));
}

function validity(
  cert: forge.pki.Certificate,
  o: { notBefore?: Date; notAfter?: Date; days?: number },
): void {
  // A minute back: a VEN whose clock is slightly behind must not see "not yet valid".
  cert.validity.notBefore = o.notBefore ?? new Date(Date.now() - 60000);
  cert.validity.notAfter =
    o.notAfter ?? new Date(cert.validity.notBefore.getTime() + (o.days ?? 397) * DAY_MS);
}

function pemOf(cert: forge.pki.Certificate, keys: forge.pki.rsa.KeyPair): PemPair {
  return { cert: forge.pki.certificateToPem(cert), key: forge.pki.privateKeyToPem(keys.privateKey) };
}

/** A certificate authority (self-signed, may sign end-entity certificates only). */
export function createCertificateAuthority(
  o: { commonName?: string; notBefore?: Date; notAfter?: Date; days?: number } = {},
): PemPair {
  const keys = keyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  validity(cert, { days: 3650, ...o });
  const subject = [{ name: 'commonName', value: o.commonName ?? 'OpenADR 3 VTN development CA' }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return pemOf(cert, keys);
}

function endEntity(
  o: CertificateOptions,
  issuer: { cert: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey } | undefined,
): PemPair {
  const keys = keyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  validity(cert, o);
  cert.setSubject([{ name: 'commonName', value: o.commonName }]);
  cert.setIssuer(issuer ? issuer.cert.subject.attributes : [{ name: 'commonName', value: o.commonName }]);
  const extensions: unknown[] = [
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: o.server !== false, clientAuth: o.client === true },
    { name: 'subjectKeyIdentifier' },
  ];
  if (o.names?.length) extensions.push({ name: 'subjectAltName', altNames: altNames(o.names) });
  if (issuer) extensions.push({ name: 'authorityKeyIdentifier', keyIdentifier: issuerKeyId(issuer.cert) });
  cert.setExtensions(extensions as forge.pki.CertificateField[]);
  cert.sign(issuer?.key ?? keys.privateKey, forge.md.sha256.create());
  return pemOf(cert, keys);
}

function issuerKeyId(ca: forge.pki.Certificate): string {
  const ext = ca.getExtension('subjectKeyIdentifier') as { subjectKeyIdentifier?: string } | null;
  return ext?.subjectKeyIdentifier
    ? forge.util.hexToBytes(ext.subjectKeyIdentifier)
    : forge.pki.getPublicKeyFingerprint(ca.publicKey, { type: 'RSAPublicKey' }).getBytes();
}

/** A certificate signed by `ca` (from createCertificateAuthority or files). */
export function issueCertificate(ca: PemPair, o: CertificateOptions): PemPair {
  return endEntity(o, {
    cert: forge.pki.certificateFromPem(ca.cert),
    key: forge.pki.privateKeyFromPem(ca.key) as forge.pki.rsa.PrivateKey,
  });
}

/** A certificate that signs itself (what a VEN must refuse unless told to trust it). */
export function createSelfSignedCertificate(o: CertificateOptions): PemPair {
  return endEntity(o, undefined);
}

/**
 * The names a development server certificate is for: this machine by every local name, including
 * the `.local` name a VTN announced on the LAN is reached at (mDNS, src/openadr/local/announce.ts).
 */
export function localNames(): string[] {
  const names = new Set(['localhost', '127.0.0.1', '::1']);
  const host = os.hostname();
  if (host) names.add(host.toLowerCase());
  const first = host
    .split('.')[0]
    .replace(/[^A-Za-z0-9-]/g, '-')
    .toLowerCase();
  if (first) names.add(`${first}.local`);
  return [...names];
}

export interface DevCertificate {
  dir: string;
  /** The CA to trust (`curl --cacert`, a VEN's tls-config CA). */
  caFile: string;
  certFile: string;
  keyFile: string;
  /** PEM text of the three, read back from the files. */
  ca: string;
  cert: string;
  key: string;
  /** What this call wrote: nothing (both reused), the server certificate, or both. */
  created: 'none' | 'certificate' | 'ca and certificate';
}

/** True when the PEM certificate is valid for at least `marginDays` more and covers every name. */
function stillGood(pem: string, names: string[], marginDays: number): boolean {
  try {
    const c = new crypto.X509Certificate(pem);
    if (Date.parse(c.validTo) - Date.now() < marginDays * DAY_MS) return false;
    return names.every((n) => (net.isIP(n) ? c.checkIP(n) !== undefined : c.checkHost(n) !== undefined));
  } catch {
    return false;
  }
}

function writePrivate(file: string, text: string): void {
  fs.writeFileSync(file, text, { mode: 0o600 });
  fs.chmodSync(file, 0o600); // an existing file keeps its mode on write
}

/**
 * A development CA and a server certificate for `names` (default: localhost, 127.0.0.1, ::1 and
 * the host name) in `dir`, made once and reused on the next start. The server certificate is
 * renewed (by the same CA, so clients keep trusting it) when it is within 30 days of expiry or
 * does not cover a requested name; the CA is made anew only when its files are missing or it is
 * within 30 days of expiry.
 */
export function ensureDevCertificate(dir: string, names: string[] = localNames()): DevCertificate {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caFile = path.join(dir, 'ca.pem');
  const caKeyFile = path.join(dir, 'ca-key.pem');
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  const read = (f: string): string | undefined => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : undefined);
  let created: DevCertificate['created'] = 'none';
  let ca: PemPair | undefined;
  const caCert = read(caFile);
  const caKey = read(caKeyFile);
  if (caCert && caKey && stillGood(caCert, [], 30)) ca = { cert: caCert, key: caKey };
  if (!ca) {
    ca = createCertificateAuthority({ commonName: `OpenADR 3 VTN development CA (${os.hostname()})` });
    writePrivate(caKeyFile, ca.key);
    fs.writeFileSync(caFile, ca.cert);
    created = 'ca and certificate';
  }
  const cert = read(certFile);
  if (
    created !== 'none' ||
    !cert ||
    !read(keyFile) ||
    !stillGood(cert, names, 30) ||
    !signedBy(cert, ca.cert)
  ) {
    const leaf = issueCertificate(ca, { commonName: names[0] ?? 'localhost', names });
    writePrivate(keyFile, leaf.key);
    fs.writeFileSync(certFile, leaf.cert);
    if (created === 'none') created = 'certificate';
  }
  return {
    dir,
    caFile,
    certFile,
    keyFile,
    ca: fs.readFileSync(caFile, 'utf8'),
    cert: fs.readFileSync(certFile, 'utf8'),
    key: fs.readFileSync(keyFile, 'utf8'),
    created,
  };
}

function signedBy(certPem: string, caPem: string): boolean {
  try {
    return new crypto.X509Certificate(certPem).verify(new crypto.X509Certificate(caPem).publicKey);
  } catch {
    return false;
  }
}
