// The calls KubeClient does not make: discovery and /version (paths outside a resource), server-side
// Table output (a different Accept), a Table watch, and streamed text (pod logs). Same error decoding as
// the shared transport (replyError), so every failure is a StatusError.
import http from 'node:http';
import { errors, replyError, StatusError } from '@mk8s/apimachinery';

export const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';
const USER_AGENT = 'mkctl/v0.1.0';

export interface RawOptions { accept?: string; timeoutMs?: number }

export function query(q: Record<string, string | undefined>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') u.set(k, v);
  const s = u.toString();
  return s ? `?${s}` : '';
}

function open(server: string, method: string, path: string, accept: string, timeoutMs: number | undefined,
              onResponse: (res: http.IncomingMessage) => void, onError: (e: StatusError) => void): http.ClientRequest {
  const url = new URL(server);
  const req = http.request({
    host: url.hostname, port: url.port || 80, method, path,
    headers: { Accept: accept, 'User-Agent': USER_AGENT },
    ...(timeoutMs ? { timeout: timeoutMs } : {}),
  }, onResponse);
  req.on('timeout', () => req.destroy(errors.timeout(`request to ${path} timed out`)));
  req.on('error', e => onError(e instanceof StatusError ? e : errors.unavailable(`apiserver unreachable: ${e.message}`)));
  req.end();
  return req;
}

function readAll(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', c => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString()));
    res.on('error', reject);
  });
}

function decode(text: string): unknown {
  try { return text ? JSON.parse(text) : undefined; } catch { return text; }
}

/** GET a path; the parsed JSON body, or a StatusError for a non-2xx answer. */
export function rawGet<T = any>(server: string, path: string, opts: RawOptions = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    open(server, 'GET', path, opts.accept ?? 'application/json', opts.timeoutMs ?? 30_000, res => {
      readAll(res).then(text => {
        const body = decode(text);
        const code = res.statusCode ?? 500;
        if (code >= 400) reject(replyError(code, body)); else resolve(body as T);
      }, e => reject(errors.unavailable(`apiserver unreachable: ${(e as Error).message}`)));
    }, reject);
  });
}

/** GET a path whose body is a text stream (pod logs); chunks go to onData as they arrive. */
export function rawStream(server: string, path: string, onData: (chunk: Buffer) => void): { done: Promise<void>; stop(): void } {
  let req!: http.ClientRequest;
  const done = new Promise<void>((resolve, reject) => {
    req = open(server, 'GET', path, '*/*', undefined, res => {
      const code = res.statusCode ?? 500;
      if (code >= 400) { readAll(res).then(t => reject(replyError(code, decode(t))), reject); return; }
      res.on('data', (c: Buffer) => onData(c));
      res.on('end', () => resolve());
      res.on('error', e => reject(errors.unavailable(`apiserver unreachable: ${e.message}`)));
    }, reject);
  });
  return { done, stop: () => req.destroy() };
}

/** A watch (newline-delimited JSON events) with a chosen Accept, e.g. Table rows. */
export function rawWatch(server: string, path: string, accept: string,
                         onEvent: (ev: { type: string; object: any }) => void): { done: Promise<void>; stop(): void } {
  let req!: http.ClientRequest;
  const done = new Promise<void>((resolve, reject) => {
    req = open(server, 'GET', path, accept, undefined, res => {
      const code = res.statusCode ?? 500;
      if (code >= 400) { readAll(res).then(t => reject(replyError(code, decode(t))), reject); return; }
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i).trim(); buf = buf.slice(i + 1);
          if (!line) continue;
          try { onEvent(JSON.parse(line)); } catch (e) { req.destroy(); reject(e instanceof StatusError ? e : errors.internal(`undecodable watch frame: ${(e as Error).message}`)); return; }
        }
      });
      res.on('end', () => resolve());
      res.on('error', e => reject(errors.unavailable(`apiserver unreachable: ${e.message}`)));
    }, reject);
  });
  return { done, stop: () => req.destroy() };
}
