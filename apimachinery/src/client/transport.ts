// The two ways a client reaches the apiserver, behind one small interface: HTTP (REST, as kubectl) and gRPC
// (proto/mk8s.proto, for the components). KubeClient (./kubeclient.ts) is written once on top of it.
import http from 'node:http';
import { StatusError, errors } from '../api/errors';

export interface Target { group: string; version: string; resource: string; namespace?: string; name?: string; subresource?: string }
export interface Reply { code: number; body: any; warnings: string[] }
export interface WatchHandle { stop(): void }

export interface Transport {
  readonly kind: 'http' | 'grpc';
  /** One REST call: method, what it addresses, query parameters, an optional body (JSON unless contentType says). */
  request(method: string, t: Target, query: Record<string, string | undefined>, body?: unknown, contentType?: string): Promise<Reply>;
  /** A watch stream: frames `{type, object}` in order, then exactly one onClose (with the error when it failed). */
  watch(t: Target, query: Record<string, string | undefined>, onEvent: (ev: { type: string; object: any }) => void, onClose: (err?: Error) => void): WatchHandle;
  close(): void;
}

export function restPath(t: Target): string {
  let p = t.group ? `/apis/${t.group}/${t.version}` : `/api/${t.version || 'v1'}`;
  if (t.namespace && t.resource !== 'namespaces') p += `/namespaces/${encodeURIComponent(t.namespace)}`;
  p += `/${t.resource}`;
  if (t.name) p += `/${encodeURIComponent(t.name)}`;
  if (t.subresource) p += `/${t.subresource}`;
  return p;
}

function qs(query: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** A non-2xx answer as a StatusError (the body is a Status, or at least text). */
export function replyError(code: number, body: any): StatusError {
  if (body && typeof body === 'object' && body.kind === 'Status') return StatusError.fromStatus(body);
  return new StatusError(code, code === 503 ? 'ServiceUnavailable' : code === 404 ? 'NotFound' : 'InternalError', typeof body === 'string' ? body : JSON.stringify(body));
}

export class HttpTransport implements Transport {
  readonly kind = 'http' as const;
  private readonly agent: http.Agent;
  private readonly url: URL;
  constructor(server: string, private readonly userAgent = 'mk8s-client', private readonly timeoutMs = 30_000) {
    this.url = new URL(server);
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  }

  request(method: string, t: Target, query: Record<string, string | undefined>, body?: unknown, contentType = 'application/json'): Promise<Reply> {
    const data = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = http.request({
        host: this.url.hostname, port: this.url.port, method, path: restPath(t) + qs(query), agent: this.agent,
        headers: { Accept: 'application/json', 'User-Agent': this.userAgent, ...(data ? { 'Content-Type': contentType, 'Content-Length': data.length } : {}) },
        timeout: this.timeoutMs,
      }, res => {
        const chunks: Buffer[] = [];
        res.on('data', c => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let parsed: any = text;
          try { parsed = text ? JSON.parse(text) : undefined; } catch { /* plain text */ }
          const w = res.headers.warning;
          const warnings = (Array.isArray(w) ? w : w ? [w] : []).map(x => x.replace(/^299 - "?|"$/g, ''));
          const code = res.statusCode ?? 500;
          if (code >= 400) reject(replyError(code, parsed)); else resolve({ code, body: parsed, warnings });
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(errors.timeout(`request to ${restPath(t)} timed out`)));
      req.on('error', e => reject(e instanceof StatusError ? e : errors.unavailable(`apiserver unreachable: ${e.message}`)));
      req.end(data);
    });
  }

  watch(t: Target, query: Record<string, string | undefined>, onEvent: (ev: { type: string; object: any }) => void, onClose: (err?: Error) => void): WatchHandle {
    let done = false;
    const close = (err?: Error) => { if (!done) { done = true; onClose(err); } };
    const req = http.request({
      host: this.url.hostname, port: this.url.port, method: 'GET', path: restPath(t) + qs({ ...query, watch: '1' }), agent: this.agent,
      headers: { Accept: 'application/json', 'User-Agent': this.userAgent },
    }, res => {
      if ((res.statusCode ?? 500) >= 400) {
        const chunks: Buffer[] = [];
        res.on('data', c => chunks.push(c));
        res.on('end', () => { let b: any; try { b = JSON.parse(Buffer.concat(chunks).toString()); } catch { b = ''; } close(replyError(res.statusCode ?? 500, b)); });
        return;
      }
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i); buf = buf.slice(i + 1);
          if (!line.trim()) continue;
          let ev: any;
          try { ev = JSON.parse(line); } catch { req.destroy(); close(errors.internal('undecodable watch frame')); return; }
          if (!done) onEvent(ev);
        }
      });
      res.on('end', () => close());
      res.on('error', e => close(e));
      res.on('close', () => close());
    });
    req.on('error', e => close(errors.unavailable(`apiserver unreachable: ${e.message}`)));
    req.end();
    return { stop: () => { done = true; req.destroy(); } };
  }

  close() { this.agent.destroy(); }
}
