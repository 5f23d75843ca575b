// Serves /openapi/v3, /openapi/v3/<group-version> and /openapi/v2 as upstream's kube-openapi handlers do:
// content negotiation on Accept, SHA-512 ETags, If-None-Match -> 304, a 301 to the current hash when a client
// asks for a stale one, immutable caching of hashed URLs, gzip when accepted.
import type * as http from 'http';
import { gzipSync } from 'zlib';
import type { ResourceInfo } from '../registry/strategy';
import { buildV2Document, buildV3Documents, contentHash, type OpenAPIOptions, type V3Documents } from './documents';
import { encodeV2Protobuf } from './protobuf';

const V2_PROTOBUF = 'com.github.proto-openapi.spec.v2.v1.0+protobuf';
const V2_PROTOBUF_DEPRECATED = 'com.github.proto-openapi.spec.v2@v1.0+protobuf';
const V3_PROTOBUF = 'com.github.proto-openapi.spec.v3.v1.0+protobuf';
const V3_PROTOBUF_DEPRECATED = 'com.github.proto-openapi.spec.v3@v1.0+protobuf';

interface Body { data: Buffer; etag: string; contentType: string }

/** Accept clauses as (type, subtype), best first (by q, then order). */
export function parseAccept(header: string | undefined): { type: string; subtype: string }[] {
  const clauses = (header && header.trim() ? header : '*/*').split(',').map((raw, i) => {
    const [mt, ...params] = raw.trim().split(';');
    let qv = 1;
    for (const p of params) {
      const [k, v] = p.trim().split('=');
      if (k === 'q') { const n = Number(v); qv = Number.isFinite(n) ? n : 0; }
    }
    const [type = '', subtype = ''] = mt.trim().toLowerCase().split('/');
    return { type, subtype, q: qv, i };
  }).filter(c => c.type && c.subtype && c.q > 0);
  clauses.sort((a, b) => b.q - a.q || a.i - b.i);
  return clauses.map(({ type, subtype }) => ({ type, subtype }));
}

/** The first offered subtype (all under application/) an Accept header allows, or undefined (406). */
export function negotiate(accept: string | undefined, offers: string[]): string | undefined {
  for (const c of parseAccept(accept)) {
    if (c.type !== 'application' && c.type !== '*') continue;
    const hit = offers.find(o => c.subtype === '*' || c.subtype === o);
    if (hit) return hit;
  }
  return undefined;
}

function send(req: http.IncomingMessage, res: http.ServerResponse, body: Body, extra: Record<string, string> = {}): void {
  const quoted = `"${body.etag}"`;
  res.setHeader('Vary', 'Accept');
  res.setHeader('Etag', quoted);
  res.setHeader('Content-Type', body.contentType);
  for (const [k, v] of Object.entries(extra)) res.setHeader(k, v);
  const inm = req.headers['if-none-match'];
  if (inm && inm.split(',').map(s => s.trim()).some(t => t === quoted || t === '*' || t === `W/${quoted}`)) {
    res.statusCode = 304;
    res.end();
    return;
  }
  let data = body.data;
  if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? '')) && data.length > 1024) {
    data = gzipSync(data);
    res.setHeader('Content-Encoding', 'gzip');
  }
  res.statusCode = 200;
  res.setHeader('Content-Length', String(data.length));
  res.end(req.method === 'HEAD' ? undefined : data);
}

function plain(res: http.ServerResponse, code: number, text: string, extra: Record<string, string> = {}): void {
  res.statusCode = code;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  for (const [k, v] of Object.entries(extra)) res.setHeader(k, v);
  res.end(text);
}

/**
 * A request handler for the OpenAPI endpoints. Returns true when it handled the request (its path is
 * /openapi/v2, /openapi/v3 or below), false otherwise so the caller can route it elsewhere.
 * Documents are built on first request and kept: the resource list is fixed for the server's life.
 */
export function openapiHandler(resources: ResourceInfo[], opts: OpenAPIOptions = {}): (req: http.IncomingMessage, res: http.ServerResponse) => boolean {
  let v3: V3Documents | undefined;
  let v2json: Body | undefined;
  let v2proto: Body | undefined;
  const getV3 = () => (v3 ??= buildV3Documents(resources, opts));
  const getV2 = () => {
    if (!v2json) {
      const doc = buildV2Document(resources, opts);
      const data = Buffer.from(JSON.stringify(doc));
      v2json = { data, etag: contentHash(data), contentType: 'application/json' };
      const pb = Buffer.from(encodeV2Protobuf(doc));
      v2proto = { data: pb, etag: contentHash(pb), contentType: `application/${V2_PROTOBUF}` };
    }
    return { json: v2json, proto: v2proto! };
  };

  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://local');
    const p = url.pathname;
    if (p !== '/openapi/v2' && p !== '/openapi/v3' && !p.startsWith('/openapi/v3/')) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      plain(res, 405, 'method not allowed', { Allow: 'GET, HEAD' });
      return true;
    }
    try {
      if (p === '/openapi/v2') {
        const kind = negotiate(req.headers.accept, ['json', V2_PROTOBUF_DEPRECATED, V2_PROTOBUF]);
        if (!kind) { plain(res, 406, 'only application/json and application/com.github.proto-openapi.spec.v2@v1.0+protobuf are served'); return true; }
        const { json, proto } = getV2();
        send(req, res, kind === 'json' ? json : proto);
        return true;
      }
      const docs = getV3();
      if (p === '/openapi/v3' || p === '/openapi/v3/') {
        send(req, res, { data: Buffer.from(docs.index.json), etag: docs.index.hash, contentType: 'application/json' });
        return true;
      }
      const key = p.slice('/openapi/v3/'.length).replace(/\/$/, '');
      const doc = docs.docs.get(key);
      if (!doc) { plain(res, 404, `no OpenAPI v3 document for ${JSON.stringify(key)}`); return true; }
      const kind = negotiate(req.headers.accept, ['json', V3_PROTOBUF, V3_PROTOBUF_DEPRECATED]);
      if (kind !== 'json') {
        plain(res, 406, kind ? 'the protobuf form of OpenAPI v3 is not served; ask for application/json' : 'only application/json is served');
        return true;
      }
      const hash = url.searchParams.get('hash');
      if (hash && hash !== doc.hash) {
        plain(res, 301, 'moved', { Location: `/openapi/v3/${key}?hash=${doc.hash}`, Vary: 'Accept' });
        return true;
      }
      const extra: Record<string, string> = hash
        ? { 'Cache-Control': 'public, immutable', Expires: new Date(Date.now() + 365 * 24 * 3600 * 1000).toUTCString() }
        : {};
      send(req, res, { data: Buffer.from(doc.json), etag: doc.hash, contentType: 'application/json' }, extra);
    } catch (e) {
      plain(res, 500, `openapi: ${(e as Error).message}`);
    }
    return true;
  };
}
