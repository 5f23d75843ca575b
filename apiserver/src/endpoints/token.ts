// serviceaccounts/<name>/token (TokenRequest): a bound service-account JWT signed RS256 with the apiserver's key,
// with upstream's claims (iss, sub system:serviceaccount:<ns>:<name>, aud, exp/iat/nbf, kubernetes.io{...}).
import crypto from 'node:crypto';
import fs from 'node:fs';
import { errors } from '@mk8s/apimachinery';
import type { Request } from './handler';
import { fmtTime } from '../registry/store';

export const ISSUER = 'https://kubernetes.default.svc.cluster.local';
let signingKey: crypto.KeyObject | undefined;

/** The key tokens are signed with: `--service-account-signing-key-file` (PEM), else one made at start. */
export function setSigningKey(file?: string) {
  if (file && fs.existsSync(file)) signingKey = crypto.createPrivateKey(fs.readFileSync(file));
  else {
    signingKey = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    if (file) fs.writeFileSync(file, signingKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  }
}
export function publicKey(): crypto.KeyObject {
  if (!signingKey) setSigningKey();
  return crypto.createPublicKey(signingKey!);
}

const b64 = (x: unknown) => Buffer.from(typeof x === 'string' ? x : JSON.stringify(x)).toString('base64url');

export function signToken(claims: Record<string, unknown>): string {
  if (!signingKey) setSigningKey();
  const kid = crypto.createHash('sha256').update(publicKey().export({ type: 'spki', format: 'der' })).digest('base64url');
  const head = `${b64({ alg: 'RS256', kid })}.${b64(claims)}`;
  return `${head}.${crypto.sign('sha256', Buffer.from(head), signingKey!).toString('base64url')}`;
}

export async function tokenRequest(r: Request, reply: (code: number, body: unknown) => void) {
  if (r.info.verb !== 'create') throw errors.methodNotAllowed();
  const ns = r.info.namespace!, name = r.info.name!;
  const sa = await r.store.get(ns, name);
  const tr = ((await r.body()).obj ?? {}) as any;
  const spec = tr.spec ?? {};
  const exp = spec.expirationSeconds ?? 3600;
  const invalid = (field: string, value: unknown, detail: string) =>
    errors.invalid('TokenRequest', 'authentication.k8s.io', name, [{ type: 'FieldValueInvalid', field, value, detail }]);
  if (!Number.isInteger(exp) || exp < 600) throw invalid('spec.expirationSeconds', exp, 'may not specify a duration less than 10 minutes');
  if (exp > 2 ** 32) throw invalid('spec.expirationSeconds', exp, 'may not specify a duration larger than 2^32 seconds');
  const audiences: string[] = spec.audiences?.length ? spec.audiences : [ISSUER];
  const now = Math.floor(Date.now() / 1000);
  const k8s: Record<string, unknown> = { namespace: ns, serviceaccount: { name, uid: sa.metadata.uid } };
  const bound = spec.boundObjectRef;
  if (bound) {
    const kind = String(bound.kind ?? '');
    if (!['Pod', 'Secret', 'Node'].includes(kind)) {
      throw errors.invalid('TokenRequest', 'authentication.k8s.io', name, [{ type: 'FieldValueNotSupported', field: 'spec.boundObjectRef.kind', value: kind, supported: ['Pod', 'Secret', 'Node'] }]);
    }
    k8s[kind.toLowerCase()] = { name: bound.name, uid: bound.uid };
  }
  const token = signToken({ aud: audiences, exp: now + exp, iat: now, nbf: now, iss: ISSUER, jti: crypto.randomUUID(), 'kubernetes.io': k8s, sub: `system:serviceaccount:${ns}:${name}` });
  reply(201, {
    kind: 'TokenRequest', apiVersion: 'authentication.k8s.io/v1',
    metadata: { name, namespace: ns, creationTimestamp: null },
    spec: { audiences, expirationSeconds: exp, boundObjectRef: bound ?? null },
    status: { token, expirationTimestamp: fmtTime(new Date((now + exp) * 1000)) },
  });
}
