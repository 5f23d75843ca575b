// Test helpers: containers made by hand with the kubelet's labels (pod names mk8s-test-*), a WebSocket
// exec client speaking the channel protocol, and cleanup of exactly what a test created.
import Dockerode from 'dockerode';
import WebSocket from 'ws';
import { containerLabels, containerName, type PodRef } from '../runtime/naming';

export const docker = new Dockerode({ socketPath: '/var/run/docker.sock' });

export class TestContainers {
  readonly ids: string[] = [];
  constructor(readonly nodeName: string) {}

  /** Creates (and by default starts) a container of pod ref with the kubelet's labels. */
  async make(pod: PodRef, container: string, attempt: number, cmd: string[], o: { start?: boolean; wait?: boolean; tty?: boolean; openStdin?: boolean; sandbox?: boolean } = {}) {
    const type = o.sandbox ? 'podsandbox' : 'container';
    const c = await docker.createContainer({
      name: containerName(o.sandbox ? 'POD' : container, pod, attempt), Image: 'busybox', Cmd: cmd, Tty: !!o.tty, OpenStdin: !!o.openStdin,
      Labels: containerLabels(this.nodeName, pod, o.sandbox ? 'POD' : container, type, attempt),
      HostConfig: { Init: true },
    });
    this.ids.push(c.id);
    if (o.start !== false) await c.start();
    if (o.wait) await c.wait();
    return c;
  }

  async removeAll() {
    await Promise.all(this.ids.map(id => docker.getContainer(id).remove({ force: true }).catch(() => undefined)));
    this.ids.length = 0;
  }
}

export interface ExecResult { stdout: string; stderr: string; status: any; protocol: string }

/** Runs an exec/attach session against url; sends stdin chunks then (v5) closes stdin; collects output. */
export function wsExec(url: string, o: { protocols?: string[]; stdin?: string[]; closeStdin?: boolean; resize?: { Width: number; Height: number }; timeoutMs?: number } = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, o.protocols ?? ['v5.channel.k8s.io', 'v4.channel.k8s.io']);
    let stdout = '', stderr = '', status: any;
    const timer = setTimeout(() => { ws.terminate(); reject(new Error(`exec did not finish: stdout=${stdout} stderr=${stderr}`)); }, o.timeoutMs ?? 10_000);
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', d => (body += d));
      res.on('end', () => { clearTimeout(timer); reject(Object.assign(new Error(`HTTP ${res.statusCode}: ${body}`), { statusCode: res.statusCode, body })); });
    });
    ws.on('open', () => {
      if (o.resize) ws.send(Buffer.concat([Buffer.from([4]), Buffer.from(JSON.stringify(o.resize))]));
      for (const s of o.stdin ?? []) ws.send(Buffer.concat([Buffer.from([0]), Buffer.from(s)]));
      if (o.closeStdin) ws.send(Buffer.from([255, 0]));
    });
    ws.on('message', (m: Buffer) => {
      const body = m.subarray(1).toString();
      if (m[0] === 1) stdout += body; else if (m[0] === 2) stderr += body; else if (m[0] === 3) status = JSON.parse(body);
    });
    ws.on('close', () => { clearTimeout(timer); resolve({ stdout, stderr, status, protocol: ws.protocol }); });
    ws.on('error', e => { clearTimeout(timer); reject(e); });
  });
}
