// `logs POD` and `exec POD -- CMD`: the apiserver proxies both to the kubelet of the pod's node. Logs is a
// streamed text GET of pods/log; exec is a WebSocket (v5.channel.k8s.io, else v4) on pods/exec whose binary
// frames start with a channel byte: 0 stdin, 1 stdout, 2 stderr, 3 the final Status, 4 terminal resize.
import WebSocket from 'ws';
import { StatusError, errors, replyError, restPath } from '@mk8s/apimachinery';
import { bool, int, str, type FlagSpec, type Parsed } from '../args';
import { type Ctx } from '../context';
import { CliError } from '../errors';
import { query, rawStream } from '../rest';

export const logsFlags: FlagSpec[] = [
  { name: 'container', short: 'c', type: 'string', help: 'Container name' },
  { name: 'follow', short: 'f', type: 'bool', help: 'Stream new output' },
  { name: 'tail', type: 'string', help: 'Lines from the end to show (-1: all)' },
  { name: 'previous', short: 'p', type: 'bool', help: 'The previous instance of the container' },
  { name: 'timestamps', type: 'bool', help: 'Prefix each line with its timestamp' },
  { name: 'since', type: 'string', help: 'Only newer than a duration, e.g. 5s, 2m, 3h' },
  { name: 'limit-bytes', type: 'string', help: 'At most this many bytes' },
];

export const execFlags: FlagSpec[] = [
  { name: 'container', short: 'c', type: 'string', help: 'Container name' },
  { name: 'stdin', short: 'i', type: 'bool', help: 'Pass stdin to the container' },
  { name: 'tty', short: 't', type: 'bool', help: 'Stdin is a TTY' },
  { name: 'quiet', short: 'q', type: 'bool', help: 'Print only what the command prints' },
];

/** `name` or `pod/name`, `po/name`, `pods/name`: logs and exec address pods only. */
async function podName(ctx: Ctx, arg: string | undefined, verb: string): Promise<string> {
  if (!arg) throw new CliError(verb === 'logs' ? 'expected \'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]\'.\nPOD or TYPE/NAME is a required argument for the logs command' : 'pod or type/name must be specified');
  const i = arg.indexOf('/');
  if (i < 0) return arg;
  const type = await ctx.discovery.resolve(arg.slice(0, i));
  if (type.group !== '' || type.resource !== 'pods') throw new CliError(`mkctl ${verb} supports pods only, not ${type.resource}${type.group ? `.${type.group}` : ''}`);
  return arg.slice(i + 1);
}

function seconds(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const m = v.match(/^(\d+)(s|m|h)$/);
  if (!m) throw new CliError(`invalid argument "${v}" for "--since" flag: time: invalid duration "${v}"`);
  return String(Number(m[1]) * ({ s: 1, m: 60, h: 3600 } as Record<string, number>)[m[2]]);
}

export async function runLogs(ctx: Ctx, p: Parsed): Promise<number> {
  if (p.positional.length > 2) throw new CliError('expected \'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]\'');
  const pod = await podName(ctx, p.positional[0], 'logs');
  const container = str(p, 'container') ?? p.positional[1];
  const tail = int(p, 'tail');
  const path = restPath({ group: '', version: 'v1', resource: 'pods', namespace: ctx.config.namespace, name: pod, subresource: 'log' }) + query({
    container, follow: bool(p, 'follow') ? 'true' : undefined, previous: bool(p, 'previous') ? 'true' : undefined,
    timestamps: bool(p, 'timestamps') ? 'true' : undefined, tailLines: tail !== undefined && tail >= 0 ? String(tail) : undefined,
    sinceSeconds: seconds(str(p, 'since')), limitBytes: str(p, 'limit-bytes'),
  });
  const s = rawStream(ctx.config.server, path, c => process.stdout.write(c));
  process.once('SIGINT', () => { s.stop(); process.exit(0); });
  await s.done;
  return 0;
}

/** The exit code a Status on the error channel reports (0 for Success). */
export function exitCodeOf(status: any): { code: number; message?: string } {
  if (status?.status === 'Success') return { code: 0 };
  if (status?.reason === 'NonZeroExitCode') {
    const cause = (status.details?.causes ?? []).find((c: any) => c.reason === 'ExitCode');
    const n = Number(cause?.message);
    if (Number.isInteger(n)) return { code: n, message: `command terminated with exit code ${n}` };
  }
  return { code: 1, message: `error: ${status?.message ?? 'exec failed'}` };
}

export async function runExec(ctx: Ctx, p: Parsed): Promise<number> {
  const pod = await podName(ctx, p.positional[0], 'exec');
  const command = p.dashDash ? p.rest : p.positional.slice(1);
  if (!command.length) throw new CliError('you must specify at least one command for the container');
  const stdin = bool(p, 'stdin'), tty = bool(p, 'tty');
  const base = restPath({ group: '', version: 'v1', resource: 'pods', namespace: ctx.config.namespace, name: pod, subresource: 'exec' });
  const q = new URLSearchParams();
  for (const c of command) q.append('command', c);
  const container = str(p, 'container');
  if (container) q.set('container', container);
  q.set('stdin', String(stdin)); q.set('stdout', 'true'); q.set('stderr', String(!tty)); q.set('tty', String(tty));
  const url = new URL(ctx.config.server);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.pathname = base; url.search = q.toString();

  return new Promise<number>((resolve, reject) => {
    const ws = new WebSocket(url.toString(), ['v5.channel.k8s.io', 'v4.channel.k8s.io'], { headers: { 'User-Agent': 'mkctl/v0.1.0' } });
    let result: number | undefined;
    ws.on('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let body: unknown = text;
        try { body = JSON.parse(text); } catch { /* plain text */ }
        reject(replyError(res.statusCode ?? 500, body));
      });
    });
    ws.on('error', (e: Error) => reject(e instanceof StatusError ? e : errors.unavailable(`apiserver unreachable: ${e.message}`)));
    ws.on('open', () => {
      if (stdin) {
        process.stdin.on('data', (d: Buffer) => ws.send(Buffer.concat([Buffer.from([0]), d])));
        process.stdin.on('end', () => { if (ws.protocol === 'v5.channel.k8s.io') ws.send(Buffer.from([255, 0])); });
      }
      if (tty && process.stdout.isTTY) {
        const resize = () => ws.send(Buffer.concat([Buffer.from([4]), Buffer.from(JSON.stringify({ Width: process.stdout.columns, Height: process.stdout.rows }))]));
        resize(); process.stdout.on('resize', resize);
        if (process.stdin.isTTY) process.stdin.setRawMode(true);
      }
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const buf = isBinary ? data : Buffer.from(data.toString());
      if (!buf.length) return;
      const ch = buf[0], payload = buf.subarray(1);
      if (ch === 1) process.stdout.write(payload);
      else if (ch === 2) process.stderr.write(payload);
      else if (ch === 3) {
        let status: any;
        try { status = JSON.parse(payload.toString()); } catch { status = { message: payload.toString() }; }
        const r = exitCodeOf(status);
        if (r.message && !bool(p, 'quiet')) process.stderr.write(`${r.message}\n`);
        result = r.code;
      }
    });
    ws.on('close', () => {
      if (process.stdin.isTTY && tty) process.stdin.setRawMode(false);
      process.stdin.pause();
      resolve(result ?? 0);
    });
  });
}
