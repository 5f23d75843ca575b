// The kubelet API against the real dockerd, with containers created here carrying the kubelet's labels.
import http from 'node:http';
import winston from 'winston';
import type { Pod } from 'kubernetes-types/core/v1';
import { startKubeletServer, type KubeletServer } from './index';
import { TestContainers, wsExec } from './testutil';

jest.setTimeout(60_000);
const log = winston.createLogger({ transports: [new winston.transports.Console({ silent: true })] });
const nodeName = `mk8s-test-node-${process.pid}`;
const containers = new TestContainers(nodeName);
const sfx = `${process.pid}`;
const ref = (name: string) => ({ name: `mk8s-test-${name}-${sfx}`, namespace: 'default', uid: `uid-${name}-${sfx}` });
const LOGS = ref('logs'), CRASH = ref('crash'), EXEC = ref('exec'), FOLLOW = ref('follow');

let pods: Pod[] = [];
let server: KubeletServer;
let base: string;

async function get(path: string): Promise<{ status: number; body: string; type?: string }> {
  const res = await fetch(base + path);
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type') ?? undefined };
}

beforeAll(async () => {
  server = await startKubeletServer({ port: 0, bindAddress: '127.0.0.1', docker: (await import('./testutil')).docker, nodeName, log, podsSnapshot: () => pods });
  base = `http://127.0.0.1:${server.port}`;
  await Promise.all([
    containers.make(LOGS, 'app', 0, ['sh', '-c', 'echo one; sleep 0.2; echo two >&2; sleep 0.2; echo three'], { wait: true }),
    (async () => {
      await containers.make(CRASH, 'app', 0, ['sh', '-c', 'echo attempt zero; exit 1'], { wait: true });
      await containers.make(CRASH, 'app', 1, ['sh', '-c', 'echo attempt one; sleep 600']);
    })(),
    containers.make(EXEC, 'POD', 0, ['sleep', '600'], { sandbox: true }),
    containers.make(EXEC, 'app', 0, ['sleep', '600']),
    containers.make(FOLLOW, 'app', 0, ['sh', '-c', 'i=0; while [ $i -lt 100 ]; do echo line $i; i=$((i+1)); sleep 0.1; done']),
  ]);
  // a container of another node (same labels otherwise) must never be found
  await containers.make(ref('logs'), 'other', 0, ['echo', 'x'], { wait: true });
  await new TestContainers('mk8s-test-elsewhere').make(ref('foreign'), 'app', 0, ['echo', 'foreign'], { wait: true }).then(c => containers.ids.push(c.id));
});

afterAll(async () => {
  await server?.close();
  await containers.removeAll();
});

describe('basic endpoints', () => {
  it('/healthz, /pods, 404, 405', async () => {
    expect(await get('/healthz')).toMatchObject({ status: 200, body: 'ok' });
    pods = [{ metadata: { name: 'p1', namespace: 'default', uid: 'u1' } }];
    const list = JSON.parse((await get('/pods')).body);
    expect(list).toEqual({ kind: 'PodList', apiVersion: 'v1', metadata: {}, items: pods });
    pods = [];
    const nf = await get('/nope');
    expect(nf.status).toBe(404);
    expect(JSON.parse(nf.body)).toMatchObject({ kind: 'Status', code: 404, reason: 'NotFound' });
    expect((await fetch(base + '/pods', { method: 'POST' })).status).toBe(405);
  });
});

describe('containerLogs', () => {
  const logs = (p: { name: string }, q = '', c = 'app') => get(`/containerLogs/default/${p.name}/${c}${q}`);

  it('returns stdout and stderr interleaved, with tailLines, limitBytes and timestamps', async () => {
    expect(await logs(LOGS)).toMatchObject({ status: 200, body: 'one\ntwo\nthree\n', type: 'text/plain' });
    expect((await logs(LOGS, '?tailLines=1')).body).toBe('three\n');
    expect((await logs(LOGS, '?tailLines=0')).body).toBe('');
    expect((await logs(LOGS, '?limitBytes=6')).body).toBe('one\ntw');
    const ts = (await logs(LOGS, '?timestamps=true')).body.trim().split('\n');
    expect(ts).toHaveLength(3);
    for (const l of ts) expect(l).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z (one|two|three)$/);
    // sinceSeconds=1 is long after the container ended... unless it ran in the last second; sinceTime in the future is empty
    expect((await logs(LOGS, `?sinceTime=${new Date(Date.now() + 60_000).toISOString()}`)).body).toBe('');
  });

  it('previous gives the last exited attempt; without one it is a 400 with upstream\'s message', async () => {
    expect((await logs(CRASH)).body).toBe('attempt one\n');
    expect((await logs(CRASH, '?previous=true')).body).toBe('attempt zero\n');
    const r = await logs(EXEC, '?previous=true');
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body).message).toBe(`previous terminated container "app" in pod "${EXEC.name}" not found`);
  });

  it('the pod status decides when the kubelet has it (crash loop: previous = the newest exited)', async () => {
    pods = [{ metadata: { ...CRASH }, spec: { containers: [{ name: 'app' }] }, status: { containerStatuses: [{ name: 'app', image: 'busybox', imageID: '', ready: false, restartCount: 1, state: { waiting: { reason: 'CrashLoopBackOff' } } }] } } as Pod];
    try {
      // no lastState in the status and the newest is running: Docker history decides
      expect((await logs(CRASH, '?previous=1')).body).toBe('attempt zero\n');
    } finally { pods = []; }
  });

  it('unknown pods and containers are 404, bad options 400', async () => {
    const r = await logs({ name: 'mk8s-test-ghost' });
    expect(r.status).toBe(404);
    expect(JSON.parse(r.body).message).toBe(`pod "mk8s-test-ghost" in namespace "default" does not exist on node "${nodeName}"`);
    expect((await logs(ref('foreign'))).status).toBe(404); // another node's container
    pods = [{ metadata: { ...LOGS }, spec: { containers: [{ name: 'app' }] } } as Pod];
    try {
      const nc = await logs(LOGS, '', 'nosuch');
      expect(nc.status).toBe(404);
      expect(JSON.parse(nc.body).message).toBe(`container "nosuch" not found in pod "${LOGS.name}"`);
    } finally { pods = []; }
    expect(JSON.parse((await logs(LOGS, '?tailLines=-1')).body).message).toBe('tailLines: Invalid value: -1: must be greater than or equal to 0');
    expect(JSON.parse((await logs(LOGS, '?follow=maybe')).body).message).toMatch(/follow: "maybe" is not a boolean/);
    expect((await logs(LOGS, '?sinceSeconds=0')).status).toBe(400);
  });

  it('follow streams new lines as they are written and stops when the client goes', async () => {
    const got: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const req = http.get(`${base}/containerLogs/default/${FOLLOW.name}/app?follow=true&tailLines=1`, res => {
        expect(res.statusCode).toBe(200);
        let buf = '';
        res.on('data', d => {
          buf += d;
          const lines = buf.split('\n').filter(Boolean);
          if (lines.length >= 3) { got.push(...lines); req.destroy(); resolve(); }
        });
        res.on('error', () => undefined);
      });
      req.on('error', e => (got.length ? resolve() : reject(e)));
    });
    const nums = got.slice(0, 3).map(l => Number(/^line (\d+)$/.exec(l)![1]));
    expect(nums[1]).toBe(nums[0] + 1);
    expect(nums[2]).toBe(nums[0] + 2);
  });
});

describe('exec over WebSocket', () => {
  const url = (cmd: string[], q = 'stdout=true&stderr=true') => `ws://127.0.0.1:${server.port}/exec/default/${EXEC.name}/app?${cmd.map(c => `command=${encodeURIComponent(c)}`).join('&')}&${q}`;

  it('v5: stdout and a Success status', async () => {
    const r = await wsExec(url(['echo', 'hi']));
    expect(r).toEqual({ stdout: 'hi\n', stderr: '', status: { metadata: {}, status: 'Success' }, protocol: 'v5.channel.k8s.io' });
  });

  it('stderr and a non-zero exit code in the error channel', async () => {
    const r = await wsExec(url(['sh', '-c', 'echo out; echo err >&2; exit 3']));
    expect(r.stdout).toBe('out\n');
    expect(r.stderr).toBe('err\n');
    expect(r.status).toEqual({
      metadata: {}, status: 'Failure', reason: 'NonZeroExitCode',
      message: 'command terminated with non-zero exit code: error executing command [sh -c echo out; echo err >&2; exit 3], exit code 3',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
  });

  it('stdin reaches the process and the v5 close ends it', async () => {
    const r = await wsExec(url(['cat'], 'stdin=true&stdout=true&stderr=true'), { stdin: ['hello ', 'world\n'], closeStdin: true });
    expect(r.stdout).toBe('hello world\n');
    expect(r.status.status).toBe('Success');
  });

  it('tty with a resize', async () => {
    const r = await wsExec(url(['sh', '-c', 'sleep 0.5; stty size; tty'], 'stdin=true&stdout=true&tty=true'), { resize: { Width: 123, Height: 45 } });
    expect(r.stdout.replace(/\r/g, '')).toMatch(/^45 123\n\/dev\/pts\/\d+\n$/);
    expect(r.status.status).toBe('Success');
  });

  it('v4 works too', async () => {
    const r = await wsExec(url(['echo', 'four']), { protocols: ['v4.channel.k8s.io'] });
    expect(r).toMatchObject({ stdout: 'four\n', protocol: 'v4.channel.k8s.io', status: { status: 'Success' } });
  });

  it('a command that does not exist ends with a non-zero code, not a hang', async () => {
    const r = await wsExec(url(['no-such-binary']));
    expect(r.status.status).toBe('Failure');
    expect(Number(r.status.details.causes[0].message)).toBeGreaterThanOrEqual(126);
    expect(r.stdout + r.stderr).toMatch(/no-such-binary/);
  });

  it('refuses bad upgrades with a Status', async () => {
    await expect(wsExec(url(['echo']), { protocols: ['channel.k8s.io'] })).rejects.toMatchObject({ statusCode: 400, body: expect.stringContaining('no supported WebSocket subprotocol offered') });
    await expect(wsExec(`ws://127.0.0.1:${server.port}/exec/default/${EXEC.name}/app?stdout=true`)).rejects.toMatchObject({ statusCode: 400, body: expect.stringContaining('at least one command') });
    await expect(wsExec(`ws://127.0.0.1:${server.port}/exec/default/${LOGS.name}/app?command=ls&stdout=true`)).rejects.toMatchObject({ statusCode: 400, body: expect.stringContaining('is not running') });
    await expect(wsExec(`ws://127.0.0.1:${server.port}/exec/default/mk8s-test-ghost/app?command=ls&stdout=true`)).rejects.toMatchObject({ statusCode: 404 });
    const spdy = await new Promise<number>(resolve => {
      const req = http.request({ host: '127.0.0.1', port: server.port, path: `/exec/default/${EXEC.name}/app?command=ls&stdout=1`, headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1' } });
      req.on('response', res => resolve(res.statusCode ?? 0));
      req.on('upgrade', () => resolve(101));
      req.end();
    });
    expect(spdy).toBe(400);
    expect((await get(`/exec/default/${EXEC.name}/app?command=ls`)).status).toBe(400);
  });
});

describe('attach', () => {
  it('streams the main process output', async () => {
    const p = ref('attach');
    await containers.make(p, 'app', 0, ['sh', '-c', 'read x; echo got $x'], { openStdin: true });
    const r = await wsExec(`ws://127.0.0.1:${server.port}/attach/default/${p.name}/app?stdin=true&stdout=true&stderr=true`, { stdin: ['ping\n'] });
    expect(r.stdout).toBe('got ping\n');
  });
});

describe('stats and metrics', () => {
  it('/stats/summary has the running pods with cpu and memory from Docker', async () => {
    const s = JSON.parse((await get('/stats/summary')).body);
    expect(s.node.nodeName).toBe(nodeName);
    expect(s.node.memory.workingSetBytes).toBeGreaterThan(0);
    expect(s.node.cpu.usageCoreNanoSeconds).toBeGreaterThan(0);
    const p = s.pods.find((x: any) => x.podRef.name === EXEC.name);
    expect(p.podRef).toEqual(EXEC);
    expect(p.containers.map((c: any) => c.name)).toEqual(['app']); // the sandbox counts for the pod, not as a container
    expect(p.containers[0].memory.workingSetBytes).toBeGreaterThan(0);
    expect(p.memory.usageBytes).toBeGreaterThanOrEqual(p.containers[0].memory.usageBytes);
    expect(p.cpu.usageCoreNanoSeconds).toBeGreaterThan(0);
    expect(typeof p.containers[0].cpu.usageNanoCores).toBe('number');
    expect(s.pods.some((x: any) => x.podRef.name === LOGS.name)).toBe(false); // exited
  });

  it('/metrics is Prometheus text with request counts and container states', async () => {
    await get('/healthz');
    const m = await get('/metrics');
    expect(m.type).toMatch(/^text\/plain/);
    expect(m.body).toMatch(/kubelet_http_requests_total\{method="GET",path="healthz",server_type="readwrite",long_running="false"\} [1-9]/);
    expect(m.body).toMatch(/kubelet_running_containers\{container_state="running"\} [1-9]/);
    expect(m.body).toMatch(/kubelet_running_containers\{container_state="exited"\} [1-9]/);
    expect(m.body).toMatch(/kubelet_running_pods [1-9]/);
    expect(m.body).toMatch(/process_resident_memory_bytes \d+/);
  });
});
