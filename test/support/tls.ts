/**
 * Certificates for TLS tests, made once per test process with the pack's own certificate
 * functions: a CA and the server certificate it signs for this machine, a self-signed one, an
 * expired one, one for another host, and a second CA for client certificates.
 */
import {
  createCertificateAuthority,
  createSelfSignedCertificate,
  issueCertificate,
  type PemPair,
} from '../../src';

export interface TestCertificates {
  ca: PemPair;
  /** Signed by `ca` for localhost, 127.0.0.1 and ::1. */
  server: PemPair;
  selfSigned: PemPair;
  /** Signed by `ca`, ended yesterday. */
  expired: PemPair;
  /** Signed by `ca` for vtn.example.com only. */
  otherHost: PemPair;
  /** The CA that signs client certificates, and one client certificate from it. */
  clientCa: PemPair;
  client: PemPair;
  /** A client certificate from a CA the server does not know. */
  strangerClient: PemPair;
}

let made: TestCertificates | undefined;

export function testCertificates(): TestCertificates {
  if (made) return made;
  const local = ['localhost', '127.0.0.1', '::1'];
  const ca = createCertificateAuthority({ commonName: 'test CA' });
  const clientCa = createCertificateAuthority({ commonName: 'test client CA' });
  const day = 86400000;
  made = {
    ca,
    server: issueCertificate(ca, { commonName: 'localhost', names: local }),
    selfSigned: createSelfSignedCertificate({ commonName: 'localhost', names: local }),
    expired: issueCertificate(ca, {
      commonName: 'localhost',
      names: local,
      notBefore: new Date(Date.now() - 30 * day),
      notAfter: new Date(Date.now() - day),
    }),
    otherHost: issueCertificate(ca, { commonName: 'vtn.example.com', names: ['vtn.example.com'] }),
    clientCa,
    client: issueCertificate(clientCa, { commonName: 'ven-1', client: true, server: false }),
    strangerClient: issueCertificate(createCertificateAuthority({ commonName: 'stranger CA' }), {
      commonName: 'ven-x',
      client: true,
      server: false,
    }),
  };
  return made;
}
