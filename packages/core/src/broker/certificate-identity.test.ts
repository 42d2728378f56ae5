import type { PeerCertificate } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { certificateIdentity, subjectAltNames } from './certificate-identity.js';

const cert = (subject: Record<string, unknown>, subjectaltname?: string): PeerCertificate =>
  ({ subject, ...(subjectaltname === undefined ? {} : { subjectaltname }) }) as unknown as PeerCertificate;

describe('certificateIdentity', () => {
  it('names the client by the subject CN, or none when there is none or several', () => {
    expect(certificateIdentity(cert({ CN: 'device-7', O: 'Acme' }), 'cn')).toBe('device-7');
    expect(certificateIdentity(cert({ O: 'Acme' }), 'cn')).toBeUndefined();
    expect(certificateIdentity(cert({ CN: ['a', 'b'] }), 'cn')).toBeUndefined();
  });

  it('names the client by the first SAN of the kind asked for', () => {
    const c = cert(
      { CN: 'x' },
      'DNS:device-7.example, DNS:other.example, email:dev7@example.com, URI:spiffe://midge/dev7',
    );
    expect(certificateIdentity(c, 'san:dns')).toBe('device-7.example');
    expect(certificateIdentity(c, 'san:email')).toBe('dev7@example.com');
    expect(certificateIdentity(c, 'san:uri')).toBe('spiffe://midge/dev7');
    expect(certificateIdentity(cert({ CN: 'x' }, 'IP Address:127.0.0.1'), 'san:dns')).toBeUndefined();
  });

  it("reads Node's JSON-quoted SAN values (a comma cannot smuggle a second name in)", () => {
    expect(subjectAltNames('DNS:a.example, email:"evil@x.com, DNS:admin", URI:u:1')).toEqual([
      ['DNS', 'a.example'],
      ['email', 'evil@x.com, DNS:admin'],
      ['URI', 'u:1'],
    ]);
  });
});
