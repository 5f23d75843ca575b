// exec and attach over WebSocket, the channel protocol kubectl 1.30+ speaks (k8s.io/apimachinery
// pkg/util/httpstream/wsstream): every binary message starts with a channel byte — 0 stdin, 1 stdout,
// 2 stderr, 3 error (a Status JSON at the end), 4 resize ({"Width","Height"}); v5 adds 255 = close a
// channel (the next byte names it), which is how `kubectl exec -i` says stdin reached EOF.
import type { Duplex } from 'node:stream';
import type Dockerode from 'dockerode';
import type { WebSocket } from 'ws';
import type { Logger } from '@mk8s/apimachinery';
import { Demuxer } from './demux';

export const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;
export const CH = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;

export interface StreamOptions { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean }

/** The Status the error channel carries when the command ended (upstream's remotecommand wording). */
export function exitStatus(code: number, command: string[]): object {
  if (code === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {}, status: 'Failure', reason: 'NonZeroExitCode',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${code}`,
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}

export function errorStatus(message: string): object {
  return { metadata: {}, status: 'Failure', reason: 'InternalError', message, details: { causes: [{ message }] } };
}

/**
 * Holds messages that arrive before the Docker side is ready (kubectl sends the terminal size and stdin at
 * once); ws drops messages nobody listens to.
 */
export function queueMessages(ws: WebSocket): (handler: (msg: Buffer) => void) => void {
  let queue: Buffer[] | undefined = [];
  let target: ((msg: Buffer) => void) | undefined;
  ws.on('message', (raw: Buffer | ArrayBuffer | Buffer[]) => {
    const msg = Buffer.isBuffer(raw) ? raw : Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw);
    if (target) target(msg); else queue!.push(msg);
  });
  return handler => {
    target = handler;
    for (const m of queue ?? []) handler(m);
    queue = undefined;
  };
}

function send(ws: WebSocket, channel: number, data: Buffer | string): void {
  if (ws.readyState !== ws.OPEN) return;
  const body = typeof data === 'string' ? Buffer.from(data) : data;
  ws.send(Buffer.concat([Buffer.from([channel]), body]));
}

/**
 * Wires a WebSocket to a hijacked Docker stream. `resize` applies terminal sizes; `finish` runs after the
 * output ended and returns the Status for the error channel.
 */
function pump(ws: WebSocket, listen: ReturnType<typeof queueMessages>, stream: Duplex, o: StreamOptions, log: Logger,
              resize: (w: number, h: number) => Promise<unknown>, finish: () => Promise<object>): Promise<void> {
  const v5 = ws.protocol === EXEC_PROTOCOLS[0];
  const demux = new Demuxer((kind, data) => send(ws, kind === 2 && o.stderr ? CH.stderr : CH.stdout, data));
  return new Promise<void>(resolve => {
    let ended = false;
    stream.on('data', (chunk: Buffer) => (o.tty ? send(ws, CH.stdout, chunk) : demux.push(chunk)));
    const end = async () => {
      if (ended) return;
      ended = true;
      let status: object;
      try { status = await finish(); } catch (e) { status = errorStatus((e as Error).message); }
      send(ws, CH.error, JSON.stringify(status));
      if (ws.readyState === ws.OPEN) ws.close(1000);
      resolve();
    };
    stream.once('end', end);
    stream.once('close', end);
    stream.once('error', e => { log.debug('exec stream error', { error: e.message }); void end(); });
    listen(msg => {
      if (!msg.length) return;
      const ch = msg[0];
      const body = msg.subarray(1);
      if (ch === CH.stdin) { if (o.stdin && body.length && !stream.writableEnded) stream.write(body); }
      else if (ch === CH.resize) {
        try {
          const size = JSON.parse(body.toString('utf8'));
          if (Number.isInteger(size.Width) && Number.isInteger(size.Height) && size.Width > 0 && size.Height > 0) {
            resize(size.Width, size.Height).catch(e => log.debug('resize failed', { error: (e as Error).message }));
          }
        } catch { log.debug('ignoring a malformed resize message'); }
      } else if (v5 && ch === CH.close && body[0] === CH.stdin) {
        stream.end(); // half-close: the process sees EOF on stdin
      }
    });
    ws.once('close', () => { if (!ended) { ended = true; stream.destroy(); resolve(); } });
  });
}

/** Runs command in the container and streams it over ws until it exits. */
export async function runExec(ws: WebSocket, docker: Dockerode, containerId: string, command: string[], o: StreamOptions, log: Logger): Promise<void> {
  const listen = queueMessages(ws); // before any await
  let exec: Dockerode.Exec;
  let stream: Duplex;
  try {
    exec = await docker.getContainer(containerId).exec({ Cmd: command, AttachStdin: o.stdin, AttachStdout: o.stdout, AttachStderr: o.stderr, Tty: o.tty });
    stream = (await exec.start({ hijack: true, stdin: o.stdin, Tty: o.tty } as Dockerode.ExecStartOptions)) as unknown as Duplex;
  } catch (e) {
    send(ws, CH.error, JSON.stringify(errorStatus(`error executing command in container: ${(e as Error).message}`)));
    ws.close(1000);
    return;
  }
  await pump(ws, listen, stream, o, log, (w, h) => exec.resize({ w, h }), async () => {
    // the output can end a moment before Docker records the exit code
    for (let i = 0; i < 50; i++) {
      const info = await exec.inspect();
      if (!info.Running && info.ExitCode !== null && info.ExitCode !== undefined) return exitStatus(info.ExitCode, command);
      await new Promise(r => setTimeout(r, 20));
    }
    return errorStatus('command stream ended but the process is still running');
  });
}

/** Attaches to the container's main process (its stdin needs `stdin: true` in the spec). */
export async function runAttach(ws: WebSocket, docker: Dockerode, containerId: string, o: StreamOptions, log: Logger): Promise<void> {
  const listen = queueMessages(ws); // before any await
  const c = docker.getContainer(containerId);
  let stream: Duplex;
  try {
    const info = await c.inspect();
    if (o.stdin && !info.Config?.OpenStdin) throw new Error('stdin is not enabled for this container (set stdin: true in its spec)');
    o = { ...o, tty: !!info.Config?.Tty };
    stream = (await c.attach({ stream: true, stdin: o.stdin, stdout: o.stdout, stderr: o.stderr, hijack: true })) as unknown as Duplex;
  } catch (e) {
    send(ws, CH.error, JSON.stringify(errorStatus(`error attaching to container: ${(e as Error).message}`)));
    ws.close(1000);
    return;
  }
  await pump(ws, listen, stream, o, log, (w, h) => c.resize({ w, h }), async () => ({ metadata: {}, status: 'Success' }));
}
