// The REST handler: routes Kubernetes API paths to the generic stores. It knows verbs and subresources,
// never kinds: everything kind-specific lives in strategies and admission plugins.
import type { IncomingMessage, ServerResponse, IncomingHttpHeaders } from 'node:http';
import YAML from 'yaml';
import { errors, StatusError } from '@mk8s/apimachinery';
import type { Registry } from '../registry/registry';
import type { GenericStore, DeleteOptions, ListOptions } from '../registry/store';
import type { KObject } from '../registry/strategy';
import { parseRequestInfo, RequestInfo } from './requestinfo';
import { readBody, bodyKind, parseText, negotiate, Accept, parseMediaTypes } from './negotiation';
import { toTable } from './table';
import { serveWatch, WatchMetrics } from './watch';
import { apiResourceList, apiVersions, apiGroupList, apiGroup, aggregatedDiscovery, discoveryContentType } from './discovery';
import { applyPatch, PatchType, patchTypes } from './patch';
import { decodeBody, checkFieldValidation, FieldValidation } from './decode';
import { subresourceHandlers } from './subresources';

export interface HandlerContext {
  registry: Registry;
  version: Record<string, string>;
  ready: () => Promise<string | undefined>; // undefined = ready, else the reason
  metricsText: () => Promise<string>;
  metricsContentType: string;
  watchMetrics?: WatchMetrics;
  openapi?: (req: IncomingMessage, res: ServerResponse) => boolean;
  observe?: (verb: string, resource: string, code: number, seconds: number) => void;
}

/**
 * A request as both transports present it (HTTP here, gRPC in ../grpc): the REST logic below sees only this,
 * so the two transports share one code path.
 */
export interface ApiRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  readBody(): Promise<Buffer>;
  /** The raw HTTP exchange, only for subresources proxied to kubelets (log, exec, ...). */
  http?: { req: IncomingMessage; res: ServerResponse };
}
export interface ApiResponder {
  reply(code: number, body: unknown, accept: Accept | undefined, headers: Record<string, string | string[]>): void;
  /** Start a watch stream (HTTP 200 + chunked, or a server-streaming RPC). */
  stream(): WatchSink;
}
export interface WatchSink { write(frame: string): void; end(): void; onClose(cb: () => void): void }

export interface Request {
  req: ApiRequest; info: RequestInfo; q: URLSearchParams; accept: Accept; store: GenericStore;
  body(): Promise<{ obj: unknown; raw: Buffer; kind: string }>;
  warnings: string[];
  registry: Registry;
  /** The request asked for a connection upgrade (exec/attach/portforward streams). */
  upgrade?: boolean;
}

export function send(res: ServerResponse, code: number, body: unknown, accept?: Accept, headers: Record<string, string | string[]> = {}) {
  let text: string, ct = 'application/json';
  if (accept?.yaml && typeof body === 'object') { text = YAML.stringify(body); ct = 'application/yaml'; }
  else text = typeof body === 'string' ? body : JSON.stringify(body);
  if (typeof body === 'string') ct = 'text/plain; charset=utf-8';
  res.writeHead(code, { 'Content-Type': ct, 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendError(res: ServerResponse, e: unknown) {
  const se = e instanceof StatusError ? e : errors.internal((e as Error)?.message ?? String(e));
  if (res.headersSent) { res.destroy(); return; }
  const headers: Record<string, string> = {};
  if (se.details?.retryAfterSeconds) headers['Retry-After'] = String(se.details.retryAfterSeconds);
  send(res, se.code, se.toStatus(), undefined, headers);
}

const boolParam = (q: URLSearchParams, k: string) => q.get(k) === 'true' || q.get(k) === '1';
const intParam = (q: URLSearchParams, k: string): number | undefined => {
  const v = q.get(k); if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw errors.badRequest(`invalid value for ${k}: ${JSON.stringify(v)}: must be an integer`);
  return n;
};

function dryRun(q: URLSearchParams): boolean {
  const vals = q.getAll('dryRun');
  for (const v of vals) if (v !== 'All') throw errors.badRequest(`Invalid dryRun value: ${JSON.stringify(v)}: supported values: "All"`);
  return vals.length > 0;
}

function listOptions(q: URLSearchParams): ListOptions {
  const limit = intParam(q, 'limit');
  return {
    labelSelector: q.get('labelSelector') ?? undefined, fieldSelector: q.get('fieldSelector') ?? undefined,
    limit: limit && limit > 0 ? limit : undefined, continue: q.get('continue') ?? undefined,
    resourceVersion: q.get('resourceVersion') ?? undefined, resourceVersionMatch: q.get('resourceVersionMatch') ?? undefined,
  };
}

export function httpRequest(req: IncomingMessage, res: ServerResponse): ApiRequest {
  return { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, readBody: () => readBody(req), http: { req, res } };
}

export function httpResponder(res: ServerResponse): ApiResponder {
  return {
    reply: (code, body, accept, headers) => send(res, code, body, accept, headers),
    stream: () => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
      res.flushHeaders?.();
      return { write: f => { res.write(f); }, end: () => res.end(), onClose: cb => { res.on('close', cb); } };
    },
  };
}

export function createHandler(ctx: HandlerContext) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    const started = process.hrtime.bigint();
    let info: RequestInfo | undefined;
    res.on('finish', () => {
      if (info?.verb === 'watch') return;
      ctx.observe?.(info?.verb ?? 'unknown', info?.resource ?? '', res.statusCode, Number(process.hrtime.bigint() - started) / 1e9);
    });
    try {
      // Inside the try: a malformed URL (bad %-escape, broken absolute form) is the client's 400, not a crash.
      const url = parseUrl(req.url ?? '/');
      info = parseRequestInfo(req.method ?? 'GET', url.pathname, url.searchParams);
      if (!info.isResource) return await nonResource(ctx, req, res, url);
      await serveResource(ctx, httpRequest(req, res), httpResponder(res), info, url.searchParams);
    } catch (e) {
      sendError(res, e);
    }
  };
}

/** Path and query of a request target. Plain origin-form paths (what clients send) skip the WHATWG parser. */
export function parseUrl(target: string): { pathname: string; searchParams: URLSearchParams } {
  const q = target.indexOf('?');
  const path = q < 0 ? target : target.slice(0, q);
  // escapes, dot segments, doubled slashes and fragments take the full parser (it normalizes them)
  if (path.startsWith('/') && !/[%\\#]|\/\.|\/\//.test(path) && !target.includes('#')) {
    return { pathname: path, searchParams: new URLSearchParams(q < 0 ? '' : target.slice(q + 1)) };
  }
  try { return new URL(target, 'http://x'); } catch { throw errors.badRequest(`invalid request URL ${JSON.stringify(target)}`); }
}

async function nonResource(ctx: HandlerContext, req: IncomingMessage, res: ServerResponse, url: { pathname: string }) {
  const p = url.pathname.replace(/\/+$/, '') || '/';
  const accept = () => negotiate(req.headers.accept);
  if (p === '/version') return send(res, 200, ctx.version);
  if (p === '/healthz' || p === '/livez') return send(res, 200, 'ok');
  if (p === '/readyz') {
    const why = await ctx.ready();
    return why ? send(res, 503, `[-]storage failed: ${why}\nreadyz check failed`) : send(res, 200, 'ok');
  }
  if (p === '/metrics') {
    const text = await ctx.metricsText();
    res.writeHead(200, { 'Content-Type': ctx.metricsContentType }); res.end(text); return;
  }
  if (p.startsWith('/openapi') && ctx.openapi?.(req, res)) return;
  if (req.method !== 'GET' && req.method !== 'HEAD') throw errors.methodNotAllowed();
  if (p === '/api') {
    const a = accept();
    if (a.discoveryV2) return send(res, 200, aggregatedDiscovery(ctx.registry, true, a.discoveryV2 as 'v2'), undefined, { 'Content-Type': discoveryContentType(a.discoveryV2) });
    return send(res, 200, apiVersions(req.headers.host ?? '127.0.0.1'));
  }
  if (p === '/apis') {
    const a = accept();
    if (a.discoveryV2) return send(res, 200, aggregatedDiscovery(ctx.registry, false, a.discoveryV2 as 'v2'), undefined, { 'Content-Type': discoveryContentType(a.discoveryV2) });
    return send(res, 200, apiGroupList(ctx.registry));
  }
  const parts = p.split('/').filter(Boolean);
  if (parts[0] === 'api' && parts.length === 2 && parts[1] === 'v1') return send(res, 200, apiResourceList(ctx.registry, '', 'v1'));
  if (parts[0] === 'apis' && parts.length === 2) {
    const g = apiGroup(ctx.registry, parts[1]);
    if (g) return send(res, 200, g);
  }
  if (parts[0] === 'apis' && parts.length === 3 && ctx.registry.resources(parts[1], parts[2]).length) {
    return send(res, 200, apiResourceList(ctx.registry, parts[1], parts[2]));
  }
  if (p === '/') return send(res, 200, { paths: ['/api', '/api/v1', '/apis', ...ctx.registry.groups().filter(g => g.name).flatMap(g => [`/apis/${g.name}`, ...g.versions.map(v => `/apis/${g.name}/${v}`)]), '/healthz', '/livez', '/metrics', '/openapi/v2', '/openapi/v3', '/readyz', '/version'] });
  throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
}

export async function serveResource(ctx: HandlerContext, req: ApiRequest, out: ApiResponder, info: RequestInfo, q: URLSearchParams) {
  const store = info.resource ? ctx.registry.get(info.group, info.version, info.resource) : undefined;
  if (!store) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
  const ri = store.info;
  // Scope checks: cluster-scoped resources have no namespace; namespaced items need one.
  if (!ri.namespaced && info.namespace !== undefined) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
  if (ri.namespaced && info.name && info.namespace === undefined) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
  if (info.subresource && !(ri.subresources ?? []).includes(info.subresource)) {
    throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
  }
  const accept = negotiate(req.headers.accept);
  let cachedBody: { obj: unknown; raw: Buffer; kind: string } | undefined;
  const r: Request = {
    req, info, q, accept, store, warnings: [], registry: ctx.registry, upgrade: !!req.headers.upgrade,
    body: async () => cachedBody ??= await decodeBody(req, store),
  };
  const reply = (code: number, body: unknown) => {
    const headers: Record<string, string | string[]> = {};
    if (r.warnings.length) headers.Warning = r.warnings.map(w => `299 - ${JSON.stringify(w)}`);
    out.reply(code, body, accept, headers);
  };
  const ns = info.namespace;

  if (info.subresource && info.subresource !== 'status') {
    const h = subresourceHandlers[info.subresource];
    if (!h) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
    return h(r, reply);
  }
  const sub = info.subresource; // 'status' or undefined
  if (!sub && ri.verbs && !ri.verbs.includes(info.verb)) throw errors.methodNotAllowed();
  switch (info.verb) {
    case 'get': {
      const obj = await store.get(ns, info.name!);
      return reply(200, accept.table ? toTable(store, [obj], { resourceVersion: obj.metadata.resourceVersion }, q.get('includeObject') ?? 'Metadata', accept.tableVersion) : obj);
    }
    case 'list': {
      const list = await store.list(ns, listOptions(q));
      if (accept.table) return reply(200, toTable(store, list.items, list.metadata, q.get('includeObject') ?? 'Metadata', accept.tableVersion));
      return reply(200, list);
    }
    case 'watch': {
      const lo = listOptions(q);
      const sie = q.get('sendInitialEvents');
      return serveWatch(store, {
        ...lo, namespace: ns, name: info.name, allowWatchBookmarks: boolParam(q, 'allowWatchBookmarks'),
        timeoutSeconds: intParam(q, 'timeoutSeconds'), sendInitialEvents: sie === null ? undefined : sie === 'true',
        table: accept.table ? { version: accept.tableVersion ?? 'v1', includeObject: q.get('includeObject') ?? 'Metadata' } : undefined,
      }, out, ctx.watchMetrics);
    }
    case 'create': {
      if (info.name) throw errors.methodNotAllowed();
      const { obj, raw, kind } = await r.body();
      checkFieldValidation(r, obj, raw, kind, q.get('fieldValidation') as FieldValidation);
      const created = await store.create(ns, obj as KObject, { dryRun: dryRun(q), fieldManager: fieldManager(req, q) });
      return reply(201, created);
    }
    case 'update': {
      if (!info.name) throw errors.methodNotAllowed();
      const { obj, raw, kind } = await r.body();
      checkFieldValidation(r, obj, raw, kind, q.get('fieldValidation') as FieldValidation);
      const { object, created } = await store.update(ns, info.name, obj as KObject, { subresource: sub, dryRun: dryRun(q), fieldManager: fieldManager(req, q) });
      return reply(created ? 201 : 200, object);
    }
    case 'patch': {
      if (!info.name) throw errors.methodNotAllowed();
      const ct = parseMediaTypes(req.headers['content-type'])[0]?.type ?? '';
      const type = patchTypes[ct] as PatchType | undefined;
      if (!type) throw new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${Object.keys(patchTypes).join(', ')}`);
      const raw = await req.readBody();
      const force = boolParam(q, 'force');
      const manager = fieldManager(req, q);
      if (type === 'apply' && !q.get('fieldManager')) throw errors.badRequest('PATCH requests with apply content type must specify fieldManager');
      if (type !== 'apply' && q.has('force')) throw errors.badRequest('force is only allowed for apply patches');
      const patch = type === 'apply' ? parseText(raw, 'yaml') : parseText(raw, 'json');
      const { object, created } = await store.guaranteedUpdate(ns, info.name, cur => applyPatch({
        type, current: cur, patch, store, manager, force, subresource: sub, name: info.name!, namespace: ns, warnings: r.warnings,
        fieldValidation: q.get('fieldValidation') as FieldValidation, raw,
      }), { allowCreate: type === 'apply' && !sub, subresource: sub, dryRun: dryRun(q), fieldManager: manager, managedByApply: type === 'apply' });
      return reply(created ? 201 : 200, object);
    }
    case 'delete': {
      if (sub) throw errors.methodNotAllowed();
      const opts = await deleteOptions(r);
      const { object, deleted } = await store.delete(ns, info.name!, opts);
      if (!deleted) return reply(opts.orphanDependents === false ? 202 : 200, object);
      return reply(200, object); // the last state, with the delete's resourceVersion
    }
    case 'deletecollection': {
      if (sub) throw errors.methodNotAllowed();
      const opts = await deleteOptions(r);
      return reply(200, await store.deleteCollection(ns, listOptions(q), opts));
    }
    default:
      throw errors.methodNotAllowed();
  }
}

function fieldManager(req: ApiRequest, q: URLSearchParams): string {
  const m = q.get('fieldManager');
  if (m) {
    if (m.length > 128) throw errors.badRequest('fieldManager must not be longer than 128 characters');
    return m;
  }
  // Upstream's default manager is the user agent's program name (e.g. "kubectl").
  const ua = String(req.headers['user-agent'] ?? 'unknown');
  return ua.split('/')[0] || 'unknown';
}

async function deleteOptions(r: Request): Promise<DeleteOptions> {
  const q = r.q;
  let body: any = {};
  const len = Number(r.req.headers['content-length'] ?? 0);
  if (len > 0 || r.req.headers['transfer-encoding']) {
    const { obj } = await decodeBody(r.req, undefined);
    if (obj && typeof obj === 'object') body = obj;
  }
  const gps = intParam(q, 'gracePeriodSeconds') ?? body.gracePeriodSeconds;
  const pp = q.get('propagationPolicy') ?? body.propagationPolicy;
  if (pp !== undefined && pp !== null && !['Orphan', 'Background', 'Foreground'].includes(pp)) {
    throw errors.invalid('DeleteOptions', 'meta.k8s.io', '', [{ type: 'FieldValueNotSupported', field: 'propagationPolicy', value: pp, supported: ['Foreground', 'Background', 'Orphan'] }]);
  }
  const od = q.has('orphanDependents') ? boolParam(q, 'orphanDependents') : body.orphanDependents;
  if (od !== undefined && od !== null && pp) throw errors.invalid('DeleteOptions', 'meta.k8s.io', '', [{ type: 'FieldValueInvalid', field: 'propagationPolicy', value: pp, detail: 'orphanDependents and deletionPropagation cannot be both set' }]);
  const dr = [...q.getAll('dryRun'), ...(Array.isArray(body.dryRun) ? body.dryRun : [])];
  for (const v of dr) if (v !== 'All') throw errors.badRequest(`Invalid dryRun value: ${JSON.stringify(v)}: supported values: "All"`);
  return {
    gracePeriodSeconds: gps ?? undefined, propagationPolicy: pp ?? undefined, orphanDependents: od ?? undefined,
    preconditions: body.preconditions ?? undefined, dryRun: dr.length > 0,
  };
}
