// mkctl logs and exec through the real apiserver, which proxies pods/log and pods/exec to the kubelet of the
// pod's node. No kubelet runs here: a stand-in on a loopback port answers /containerLogs and the exec
// WebSocket (v5.channel.k8s.io) the way a kubelet does, so what is tested is mkctl's side of the protocol
// and the apiserver's proxying; and the errors when the pod has no node or the node's kubelet is down.
import { spawn } from 'child_process';
import * as http from 'http';
import * as path from 'path';
import { WebSocketServer, type WebSocket } from 'ws';
import { cluster, freePort, type Cluster, sessionDir, REPO_ROOT } from '../src';

jest.setTimeout(60_000);

const MAIN = path.join(REPO_ROOT, 'cli', 'dist', 'main.js');
interface Result { code: number; stdout: string; stderr: string }

let c: Cluster;
let kubelet: http.Server;
let wss: WebSocketServer;
const seen: { logQueries: URLSearchParams[]; execCommands: string[][]; protocols: string[] } = { logQueries: [], execCommands: [], protocols: [] };

function run(args: string[], input = ''): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, '--kubeconfig', c.kubeconfig, ...args], { env: { PATH: process.env.PATH, HOME: sessionDir() } });
    let stdout = '', stderr = '';
    child.stdout.setEncoding('utf8').on('data', d => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', d => (stderr += d));
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`mkctl ${args.join(' ')} hung\n${stdout}\n${stderr}`)); }, 20_000);
    child.once('close', code => { clearTimeout(timer); resolve({ code: code ?? 128, stdout, stderr }); });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

const frame = (ch: number, data: string | Buffer) => Buffer.concat([Buffer.from([ch]), Buffer.from(data)]);

/** The stand-in kubelet's exec: `echo ARGS` prints, `fail N` exits N, `cat` echoes stdin until it closes. */
function serveExec(ws: WebSocket, command: string[]): void {
  const finish = (status: object) => { ws.send(frame(3, JSON.stringify(status))); ws.close(); };
  const [cmd, ...args] = command;
  if (cmd === 'echo') { ws.send(frame(1, `${args.join(' ')}\n`)); ws.send(frame(2, 'to stderr\n')); finish({ metadata: {}, status: 'Success' }); return; }
  if (cmd === 'fail') {
    finish({ metadata: {}, status: 'Failure', message: `command terminated with non-zero exit code: ${args[0]}`, reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: args[0] }] } });
    return;
  }
  if (cmd === 'cat') {
    ws.on('message', (d: Buffer) => {
      if (d[0] === 0) ws.send(frame(1, d.subarray(1)));
      else if (d[0] === 255 && d[1] === 0) finish({ metadata: {}, status: 'Success' });
    });
    return;
  }
  finish({ metadata: {}, status: 'Failure', message: `exec: "${cmd}": executable file not found in $PATH`, reason: 'InternalError' });
}

async function createNode(name: string, port: number) {
  const res = await fetch(`${c.apiserver.url}/api/v1/nodes`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name }, status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: port } } } }),
  });
  expect(res.status).toBe(201);
}

async function createPod(name: string, node?: string, containers = ['main']) {
  const res = await fetch(`${c.apiserver.url}/api/v1/namespaces/default/pods`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: containers.map(n => ({ name: n, image: 'busybox' })) } }),
  });
  expect(res.status).toBe(201);
  if (node) {
    const b = await fetch(`${c.apiserver.url}/api/v1/namespaces/default/pods/${name}/binding`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { kind: 'Node', name: node } }),
    });
    expect(b.status).toBe(201);
  }
}

beforeAll(async () => {
  c = await cluster();
  const port = await freePort();
  kubelet = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const m = u.pathname.match(/^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/);
    if (!m) { res.writeHead(404); res.end('not found'); return; }
    seen.logQueries.push(u.searchParams);
    const lines = ['one', 'two', 'three'].map(l => `${m[2]}/${m[3]}: ${l}\n`);
    const tail = u.searchParams.get('tailLines');
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end((tail ? lines.slice(-Number(tail)) : lines).join(''));
  });
  wss = new WebSocketServer({ noServer: true, handleProtocols: (protocols: Set<string>) => (protocols.has('v5.channel.k8s.io') ? 'v5.channel.k8s.io' : false) });
  kubelet.on('upgrade', (req, socket, head) => {
    const u = new URL(req.url ?? '/', 'http://x');
    if (!/^\/exec\/default\/[^/]+\/[^/]+$/.test(u.pathname)) { socket.end('HTTP/1.1 404 Not Found\r\n\r\n'); return; }
    wss.handleUpgrade(req, socket, head, ws => {
      seen.protocols.push(ws.protocol);
      const command = u.searchParams.getAll('command');
      seen.execCommands.push(command);
      serveExec(ws, command);
    });
  });
  await new Promise<void>(r => kubelet.listen(port, '127.0.0.1', () => r()));
  await createNode('n1', port);
  await createNode('dead', await freePort()); // nothing listens there
  await createPod('web', 'n1');
  await createPod('two', 'n1', ['a', 'b']);
  await createPod('pending');
  await createPod('orphan', 'dead');
}, 60_000);

afterAll(async () => {
  wss?.close();
  await new Promise<void>(r => (kubelet ? kubelet.close(() => r()) : r()));
});

describe('logs', () => {
  it('streams the container log through the apiserver, passing tail/timestamps/container', async () => {
    expect(await run(['logs', 'web'])).toEqual({ code: 0, stdout: 'web/main: one\nweb/main: two\nweb/main: three\n', stderr: '' });
    expect((await run(['logs', 'pod/web', '--tail', '1', '--timestamps'])).stdout).toBe('web/main: three\n');
    const q = seen.logQueries[seen.logQueries.length - 1];
    expect(q.get('tailLines')).toBe('1');
    expect(q.get('timestamps')).toBe('true');
    expect((await run(['logs', 'two', '-c', 'b'])).stdout).toBe('two/b: one\ntwo/b: two\ntwo/b: three\n');
  });

  it('a pod with two containers needs -c; errors say why', async () => {
    expect(await run(['logs', 'two'])).toEqual({ code: 1, stdout: '', stderr: 'Error from server (BadRequest): a container name must be specified for pod two, choose one of: [a b]\n' });
    expect(await run(['logs', 'pending'])).toEqual({ code: 1, stdout: '', stderr: 'Error from server (BadRequest): pod pending does not have a host assigned\n' });
    expect(await run(['logs', 'ghost'])).toEqual({ code: 1, stdout: '', stderr: 'Error from server (NotFound): pods "ghost" not found\n' });
    const down = await run(['logs', 'orphan']);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^Error from server \(ServiceUnavailable\): error dialing backend: kubelet on node "dead" \(127\.0\.0\.1:\d+\): connect ECONNREFUSED/);
    expect((await run(['logs', 'deploy/web'])).stderr).toBe('error: mkctl logs supports pods only, not deployments.apps\n');
  });
});

describe('exec', () => {
  it('runs a command over v5.channel.k8s.io: stdout, stderr and the exit status', async () => {
    expect(await run(['exec', 'web', '--', 'echo', 'hello', 'world'])).toEqual({ code: 0, stdout: 'hello world\n', stderr: 'to stderr\n' });
    expect(seen.execCommands[seen.execCommands.length - 1]).toEqual(['echo', 'hello', 'world']);
    expect(seen.protocols[seen.protocols.length - 1]).toBe('v5.channel.k8s.io');
    expect(await run(['exec', 'web', '--', 'fail', '3'])).toEqual({ code: 3, stdout: '', stderr: 'command terminated with exit code 3\n' });
    expect(await run(['exec', 'web', '--', 'nosuch'])).toEqual({ code: 1, stdout: '', stderr: 'error: exec: "nosuch": executable file not found in $PATH\n' });
  });

  it('-i sends stdin on channel 0 and closes it with the v5 close frame', async () => {
    expect(await run(['exec', '-i', 'web', '--', 'cat'], 'line 1\nline 2\n')).toEqual({ code: 0, stdout: 'line 1\nline 2\n', stderr: '' });
  });

  it('no node, no kubelet, no pod, no command: clear errors', async () => {
    expect(await run(['exec', 'pending', '--', 'echo'])).toEqual({ code: 1, stdout: '', stderr: 'Error from server (BadRequest): pod pending does not have a host assigned\n' });
    const down = await run(['exec', 'orphan', '--', 'echo']);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^Error from server \(ServiceUnavailable\): error dialing backend: kubelet on node "dead" \(127\.0\.0\.1:\d+\): connect ECONNREFUSED/);
    expect(await run(['exec', 'ghost', '--', 'echo'])).toEqual({ code: 1, stdout: '', stderr: 'Error from server (NotFound): pods "ghost" not found\n' });
    expect((await run(['exec', 'web'])).stderr).toBe('error: you must specify at least one command for the container\n');
  });
});
