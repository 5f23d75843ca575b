// Content negotiation: what a request body is, and what the client accepts back.
import type { IncomingMessage } from 'node:http';
import YAML from 'yaml';
import { errors } from '@mk8s/apimachinery';

export const MAX_BODY = 3 * 1024 * 1024;

export interface MediaType { type: string; params: Record<string, string> }

export function parseMediaTypes(header: string | undefined): MediaType[] {
  if (!header) return [];
  return header.split(',').map(part => {
    const [t, ...ps] = part.split(';').map(s => s.trim());
    const params: Record<string, string> = {};
    for (const p of ps) { const i = p.indexOf('='); if (i > 0) params[p.slice(0, i).trim()] = p.slice(i + 1).trim(); }
    return { type: (t || '').toLowerCase(), params };
  }).filter(m => m.type);
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  const len = Number(req.headers['content-length'] ?? 0);
  if (len > MAX_BODY) { req.resume(); return Promise.reject(errors.tooLarge()); }
  // Stream events rather than `for await`: the async iterator costs several promises per request.
  if (req.readableEnded) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []; let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) { req.off('data', onData); req.resume(); reject(errors.tooLarge()); return; }
      chunks.push(c);
    };
    req.on('data', onData);
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.once('error', reject);
    req.once('close', () => { if (!req.complete) reject(errors.badRequest('the request body was cut off')); });
  });
}

export type BodyKind = 'json' | 'yaml' | 'protobuf';
export function bodyKind(contentType: string | undefined): BodyKind | undefined {
  const t = parseMediaTypes(contentType)[0]?.type ?? 'application/json';
  if (t === 'application/json' || t === '*/*') return 'json';
  if (t === 'application/yaml' || t === 'application/x-yaml' || t === 'text/yaml') return 'yaml';
  if (t === 'application/vnd.kubernetes.protobuf') return 'protobuf';
  return undefined;
}

/** JSON or YAML text → a value, with upstream-like messages for broken input. */
export function parseText(buf: Buffer, kind: 'json' | 'yaml'): unknown {
  const text = buf.toString('utf8');
  if (!text.trim()) throw errors.badRequest('the body of the request was empty');
  if (kind === 'json') {
    try { return JSON.parse(text); } catch (e) {
      throw errors.badRequest(`json: ${(e as Error).message.replace(/^JSON\.parse: /, '')}`);
    }
  }
  let docs: YAML.Document[];
  try { docs = YAML.parseAllDocuments(text) as YAML.Document[]; } catch (e) { throw errors.badRequest(`yaml: ${(e as Error).message}`); }
  const doc = docs[0];
  if (!doc) throw errors.badRequest('the body of the request was empty');
  if (doc.errors.length) throw errors.badRequest(`yaml: line ${doc.errors[0].linePos?.[0].line ?? '?'}: ${doc.errors[0].message.split('\n')[0]}`);
  return doc.toJS({ maxAliasCount: 100 });
}

export interface Accept { table: boolean; tableVersion?: string; yaml: boolean; discoveryV2?: string }

/** The first acceptable media type of the Accept header decides the answer. */
export function negotiate(header: string | undefined): Accept {
  const types = parseMediaTypes(header);
  if (!types.length) return { table: false, yaml: false };
  for (const m of types) {
    if (m.type === 'application/json' || m.type === '*/*' || m.type === 'application/*') {
      if (m.params.as === 'Table') {
        if (m.params.g === 'meta.k8s.io' && (m.params.v === 'v1' || m.params.v === 'v1beta1')) return { table: true, tableVersion: m.params.v, yaml: false };
        continue;
      }
      if (m.params.as === 'APIGroupDiscoveryList') {
        if (m.params.g === 'apidiscovery.k8s.io' && (m.params.v === 'v2' || m.params.v === 'v2beta1')) return { table: false, yaml: false, discoveryV2: m.params.v };
        continue;
      }
      if (m.params.as) continue; // PartialObjectMetadata etc. are not served
      return { table: false, yaml: false };
    }
    if (m.type === 'application/yaml') return { table: false, yaml: true };
  }
  // Only protobuf or unknown types: we answer JSON anyway when the client listed protobuf (client-go lists both).
  if (types.some(m => m.type === 'application/vnd.kubernetes.protobuf')) return { table: false, yaml: false };
  throw errors.notAcceptable(`only the following media types are accepted: application/json, application/yaml`);
}
