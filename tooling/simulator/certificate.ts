import { generate } from 'selfsigned';

export interface LoopbackCertificate {
  keyPem: string;
  certPem: string;
}

let pending: Promise<LoopbackCertificate> | undefined;

/**
 * A self-signed certificate for 127.0.0.1 and localhost, made once per process. Clients trust it by
 * passing the certificate itself as `tlsOptions.ca`; nothing is installed system-wide.
 */
export function loopbackCertificate(): Promise<LoopbackCertificate> {
  pending ??= generate([{ name: 'commonName', value: 'aks-fleet-guard simulator' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(Date.now() - 60_000),
    notAfterDate: new Date(Date.now() + 7 * 24 * 3_600_000),
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 7, ip: '127.0.0.1' },
          { type: 2, value: 'localhost' },
        ],
      },
    ],
  }).then((result) => ({ keyPem: result.private, certPem: result.cert }));
  return pending;
}
