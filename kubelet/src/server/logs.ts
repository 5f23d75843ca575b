// GET /containerLogs/<ns>/<pod>/<container>: the container's output from Docker's log, with the pods/log
// options (follow, previous, timestamps, tailLines, sinceSeconds, sinceTime, limitBytes).
import type http from 'node:http';
import type { Readable } from 'node:stream';
import type Dockerode from 'dockerode';
import type { Pod } from 'kubernetes-types/core/v1';
import { containerForLogs, HttpError } from './containers';
import { Demuxer } from './demux';

export interface LogOptions {
  follow: boolean; previous: boolean; timestamps: boolean;
  tailLines?: number; sinceSeconds?: number; sinceTime?: number; limitBytes?: number;
}

/** Go's strconv.ParseBool, which the kubelet's query decoding uses; an empty value (`?follow`) is true. */
export function parseBool(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  if (v === null) return false;
  if (['', '1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  throw new HttpError(400, `invalid value for ${name}: ${JSON.stringify(v)} is not a boolean`);
}

function parseInt64(q: URLSearchParams, name: string, min: number): number | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  if (!/^-?\d+$/.test(v)) throw new HttpError(400, `invalid value for ${name}: ${JSON.stringify(v)} is not an integer`);
  const n = Number(v);
  if (n < min) throw new HttpError(400, `${name}: Invalid value: ${n}: must be ${min === 0 ? 'greater than or equal to 0' : 'greater than 0'}`);
  return n;
}

export function parseLogOptions(q: URLSearchParams): LogOptions {
  const o: LogOptions = {
    follow: parseBool(q, 'follow'), previous: parseBool(q, 'previous'), timestamps: parseBool(q, 'timestamps'),
    tailLines: parseInt64(q, 'tailLines', 0), sinceSeconds: parseInt64(q, 'sinceSeconds', 1), limitBytes: parseInt64(q, 'limitBytes', 1),
  };
  const st = q.get('sinceTime');
  if (st !== null) {
    const t = Date.parse(st);
    if (Number.isNaN(t) || !/^\d{4}-\d\d-\d\dT/.test(st)) throw new HttpError(400, `invalid value for sinceTime: ${JSON.stringify(st)} is not an RFC3339 time`);
    if (o.sinceSeconds !== undefined) throw new HttpError(400, 'at most one of sinceTime or sinceSeconds may be specified');
    o.sinceTime = t;
  }
  return o;
}

/** Streams the logs into res. Errors before the first byte are thrown (HttpError); later ones end the stream. */
export async function serveLogs(docker: Dockerode, nodeName: string, pods: Pod[], ns: string, pod: string, container: string,
                                q: URLSearchParams, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const o = parseLogOptions(q);
  const found = await containerForLogs(docker, nodeName, pods, ns, pod, container, o.previous);
  const c = docker.getContainer(found.id);
  const tty = !!(await c.inspect()).Config?.Tty;
  const sinceMs = o.sinceSeconds !== undefined ? Date.now() - o.sinceSeconds * 1000 : o.sinceTime;
  const base = {
    stdout: true, stderr: true, timestamps: o.timestamps,
    tail: o.tailLines !== undefined ? o.tailLines : ('all' as unknown as number),
    since: sinceMs !== undefined ? Math.floor(sinceMs / 1000) : 0,
  };
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' });
  res.flushHeaders();

  let left = o.limitBytes ?? Infinity;
  let source: Readable | undefined;
  const write = (data: Buffer) => {
    if (left <= 0) return;
    const part = data.length > left ? data.subarray(0, left) : data;
    left -= part.length;
    res.write(part);
    if (left <= 0) { source?.destroy(); res.end(); }
  };
  const demux = new Demuxer((_k, d) => write(d));
  const feed = (chunk: Buffer) => (tty ? write(chunk) : demux.push(chunk));

  if (!o.follow) {
    const buf = (await c.logs({ ...base, follow: false })) as unknown as Buffer;
    feed(Buffer.isBuffer(buf) ? buf : Buffer.from(String(buf)));
    if (!res.writableEnded) res.end();
    return;
  }
  source = (await c.logs({ ...base, follow: true })) as unknown as Readable;
  await new Promise<void>(resolve => {
    const done = () => { if (!res.writableEnded) res.end(); resolve(); };
    source!.on('data', feed);
    source!.once('end', done);
    source!.once('close', done);
    source!.once('error', done);
    // the client (kubectl logs -f, Ctrl-C) went away: stop reading Docker
    req.socket.once('close', () => { source!.destroy(); done(); });
  });
}
