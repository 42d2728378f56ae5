import type { PeerCertificate } from 'node:tls';
import type { CertificateIdentity } from '../config/types.js';

/**
 * The username a verified client certificate gives (`use_identity_as_username`): its subject CN, or its
 * first DNS name, email address or URI among the subject alternative names. Undefined when the
 * certificate has no such field, or several CNs (which one would name the client is anyone's guess).
 */
export function certificateIdentity(cert: PeerCertificate, field: CertificateIdentity): string | undefined {
  if (field === 'cn') {
    const cn: unknown = cert.subject?.CN;
    return typeof cn === 'string' && cn !== '' ? cn : undefined;
  }
  const kind = field === 'san:dns' ? 'DNS' : field === 'san:email' ? 'email' : 'URI';
  for (const [k, value] of subjectAltNames(cert.subjectaltname ?? '')) if (k === kind && value !== '') return value;
  return undefined;
}

/**
 * Node's `subjectaltname` string as [kind, value] pairs: `DNS:a.example, email:x@y, URI:spiffe://…`, where
 * a value that holds a comma or a quote comes JSON-quoted (Node escapes them, CVE-2021-44532).
 */
export function subjectAltNames(text: string): [string, string][] {
  const out: [string, string][] = [];
  const entry = /([A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/gy;
  let m: RegExpExecArray | null;
  while (entry.lastIndex < text.length && (m = entry.exec(text)) !== null) {
    const [, kind = '', raw = ''] = m;
    let value = raw;
    if (raw.startsWith('"')) {
      try {
        value = JSON.parse(raw) as string;
      } catch {
        return out;
      }
    }
    out.push([kind, value]);
  }
  return out;
}
