// The harness itself, against a real etcd; the apiserver half against a tiny stand-in that answers /readyz
// (the real apiserver is exercised by every other e2e test).
import { execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Etcd3 } from 'etcd3';
import { cluster, freePorts, kubectl, REPO_ROOT, sessionDir, startApiserver, startEtcd } from '../src';

jest.setTimeout(60_000);

const alive = (pid: number) => fs.existsSync(`/proc/${pid}`) && !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');

async function waitGone(pid: number, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return !alive(pid);
}

// Stand-in apiserver: checks the flags the harness must pass, answers /readyz "ok" once etcd is healthy.
const STUB = `
const flags = Object.fromEntries(process.argv.slice(1).map((a) => a.replace(/^--/, '').split('=')));
for (const f of ['etcd-servers', 'bind-address', 'port', 'grpc-port', 'etcd-prefix', 'log-format'])
  if (!flags[f]) { console.error('stub: missing --' + f); process.exit(2); }
if (process.env.STUB_FAIL) { console.error('stub: failing on purpose'); process.exit(3); }
require('http').createServer(async (req, res) => {
  const health = await fetch(flags['etcd-servers'] + '/health').then((r) => r.text(), () => '');
  const ok = req.url === '/readyz' && health.includes('"health":"true"');
  res.writeHead(ok ? 200 : 503); res.end(ok ? 'ok' : 'not ready');
}).listen(+flags.port, flags['bind-address'], () => console.log('stub listening ' + JSON.stringify(flags)));
`;
const stubCommand = [process.execPath, '-e', STUB, '--'];

describe('freePorts', () => {
  it('returns distinct bindable loopback ports', async () => {
    const ports = await freePorts(5);
    expect(new Set(ports).size).toBe(5);
    for (const p of ports) expect(p).toBeGreaterThan(1024);
  });
});

describe('startEtcd', () => {
  it('starts a fresh etcd in a session dir that answers put/get', async () => {
    const etcd = await startEtcd();
    expect(etcd.dataDir.startsWith(sessionDir())).toBe(true);
    expect(path.basename(sessionDir())).toMatch(/^mk8s-test-/);
    expect(fs.readFileSync(path.join(sessionDir(), 'owner.pid'), 'utf8').trim()).toBe(String(process.pid));
    expect(fs.readFileSync(`/proc/${etcd.pid}/environ`, 'utf8')).toContain(`MK8S_TEST_SESSION=${sessionDir()}\0`);
    const client = new Etcd3({ hosts: etcd.endpoint });
    try {
      expect(await client.get('/registry/x').string()).toBeNull(); // fresh: nothing there
      await client.put('/registry/x').value('one');
      expect(await client.get('/registry/x').string()).toBe('one');
    } finally {
      client.close();
    }
    const pid = etcd.pid;
    await etcd.stop();
    expect(alive(pid)).toBe(false);
    await expect(fetch(`${etcd.endpoint}/health`)).rejects.toThrow();
  });

  it('keeps its data across restart() and after a SIGKILL crash', async () => {
    const etcd = await startEtcd();
    const client = new Etcd3({ hosts: etcd.endpoint });
    try {
      await client.put('k').value('before-restart');
      const firstPid = etcd.pid;
      await etcd.restart();
      expect(etcd.pid).not.toBe(firstPid);
      expect(alive(firstPid)).toBe(false);
      expect(await client.get('k').string()).toBe('before-restart');

      await client.put('k').value('before-crash');
      const crashedPid = etcd.pid;
      etcd.kill('SIGKILL');
      expect(await waitGone(crashedPid)).toBe(true);
      await etcd.restart();
      expect(await client.get('k').string()).toBe('before-crash');
    } finally {
      client.close();
      await etcd.stop();
    }
  });

  it('compacts history: old revisions become unreadable, the latest stays', async () => {
    const etcd = await startEtcd();
    const client = new Etcd3({ hosts: etcd.endpoint });
    try {
      const first = Number((await client.put('c').value('1').exec()).header.revision);
      await client.put('c').value('2');
      const last = Number((await client.put('c').value('3').exec()).header.revision);
      expect(last).toBe(first + 2);
      // Before compaction the old revision is readable.
      expect((await client.kv.range({ key: Buffer.from('c'), revision: first })).kvs[0].value.toString()).toBe('1');

      expect(await etcd.compact()).toBe(last);
      await expect(client.kv.range({ key: Buffer.from('c'), revision: first })).rejects.toThrow(/compacted/);
      expect(await client.get('c').string()).toBe('3');

      // An explicit revision works too, and compacting below it again is refused by etcd.
      const next = Number((await client.put('c').value('4').exec()).header.revision);
      expect(await etcd.compact(next)).toBe(next);
      await expect(etcd.compact(last)).rejects.toThrow(/compacted/);
    } finally {
      client.close();
      await etcd.stop();
    }
  });

  it('kills what a test process left running when that process exits', async () => {
    // A separate node process starts etcd through the built harness and exits without stopping it.
    const script = `
      const h = require(${JSON.stringify(path.join(REPO_ROOT, 'test', 'dist', 'index.js'))});
      h.startEtcd().then((e) => { console.log(e.pid); process.exit(0); }, (err) => { console.error(err); process.exit(1); });`;
    const out = execFileSync(process.execPath, ['-e', script], {
      env: { ...process.env, MK8S_TEST_ROOT: sessionDir() },
      encoding: 'utf8',
    });
    const pid = Number(out.trim());
    expect(pid).toBeGreaterThan(0);
    expect(await waitGone(pid)).toBe(true);
  });

  it('takes its etcd down with it when the test process is SIGKILLed', async () => {
    // No exit handler runs after SIGKILL: only the kernel's parent-death signal can stop the orphan.
    const script = `
      const h = require(${JSON.stringify(path.join(REPO_ROOT, 'test', 'dist', 'index.js'))});
      h.startEtcd().then((e) => { console.log(e.pid); process.kill(process.pid, 'SIGKILL'); });`;
    const res = spawnSync(process.execPath, ['-e', script], {
      env: { ...process.env, MK8S_TEST_ROOT: sessionDir() },
      encoding: 'utf8',
    });
    expect(res.signal).toBe('SIGKILL');
    const pid = Number(res.stdout.trim());
    expect(pid).toBeGreaterThan(0);
    expect(await waitGone(pid)).toBe(true);
  });

  it('clean_test_leftovers kills the processes of dead sessions and removes their dirs, keeping live ones', async () => {
    // Dead sessions as a crash leaves them: owner.pid names a process that is gone, and a process started
    // for the session (detached, so it outlives anything) still runs. One nested in our live session, one
    // at the top level.
    const gone = spawn('true');
    await new Promise((r) => gone.once('exit', r));
    const nested = fs.mkdtempSync(path.join(sessionDir(), 'mk8s-test-'));
    const top = fs.mkdtempSync('/tmp/mk8s-test-');
    const orphans = [nested, top].map((dir) => {
      fs.writeFileSync(path.join(dir, 'owner.pid'), `${gone.pid}\n`);
      const p = spawn('sleep', ['300'], { detached: true, stdio: 'ignore', env: { ...process.env, MK8S_TEST_SESSION: dir } });
      p.unref();
      return p.pid as number;
    });
    try {
      for (const pid of orphans) expect(alive(pid)).toBe(true);
      const out = execFileSync('bash', ['-c', `. ${path.join(REPO_ROOT, 'deploy', 'lib.sh')} && clean_test_leftovers`], { encoding: 'utf8' });
      expect(out).toMatch(/removed [1-9]\d* dead session dir/);
      for (const pid of orphans) expect(await waitGone(pid)).toBe(true);
      expect(fs.existsSync(nested)).toBe(false);
      expect(fs.existsSync(top)).toBe(false);
      expect(fs.existsSync(sessionDir())).toBe(true); // its owner (this process) is alive, so it stays
    } finally {
      for (const pid of orphans) if (alive(pid)) process.kill(pid, 'SIGKILL');
      fs.rmSync(top, { recursive: true, force: true });
    }
  });

  it('fails with the log when etcd cannot start', async () => {
    await expect(startEtcd({ extraArgs: ['--no-such-flag'] })).rejects.toThrow(/etcd at .* exited with code \d+ before it got ready[\s\S]*no-such-flag/);
  });
});

describe('startApiserver and cluster (with a stand-in apiserver)', () => {
  it('passes the flags, waits for /readyz, writes a kubeconfig kubectl reads, restarts on the same ports', async () => {
    const c = await cluster({ apiserver: { command: stubCommand } });
    try {
      const res = await fetch(`${c.apiserver.url}/readyz`);
      expect(await res.text()).toBe('ok');
      const flags = JSON.parse(c.apiserver.logs().split('stub listening ')[1]);
      expect(flags).toMatchObject({
        'etcd-servers': c.etcd.endpoint,
        'bind-address': '127.0.0.1',
        port: c.apiserver.url.split(':')[2],
        'grpc-port': c.apiserver.grpc.split(':')[1],
        'etcd-prefix': '/registry',
        'log-format': 'json',
      });
      const view = await c.kubectl(['config', 'view', '--minify', '-o', 'jsonpath={.clusters[0].cluster.server} {.contexts[0].context.user}']);
      expect(view).toEqual({ code: 0, stdout: `${c.apiserver.url} admin`, stderr: '' });

      const before = c.apiserver.pid;
      await c.apiserver.restart();
      expect(c.apiserver.pid).not.toBe(before);
      expect(alive(before)).toBe(false);
      expect(await (await fetch(`${c.apiserver.url}/readyz`)).text()).toBe('ok');
      expect(c.apiserver.logs().split('stub listening ').length).toBe(3); // both runs logged
    } finally {
      await c.teardown();
    }
    await expect(fetch(`${c.apiserver.url}/readyz`)).rejects.toThrow();
    await expect(fetch(`${c.etcd.endpoint}/health`)).rejects.toThrow();
  });

  it('reports an apiserver that exits at start-up, with its output', async () => {
    const etcd = await startEtcd();
    try {
      await expect(startApiserver({ etcd: etcd.endpoint, command: stubCommand, env: { STUB_FAIL: '1' } }))
        .rejects.toThrow(/exited with code 3 before it got ready[\s\S]*failing on purpose/);
    } finally {
      await etcd.stop();
    }
  });

  it('kubectl returns a non-zero code and stderr when the server is down, and can be timed out', async () => {
    const etcd = await startEtcd();
    const api = await startApiserver({ etcd: etcd.endpoint, command: stubCommand });
    await api.stop();
    const res = await kubectl(['get', 'pods', '--request-timeout=5s'], { kubeconfig: api.kubeconfig });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/refused/);
    await expect(kubectl(['get', 'pods', '--watch'], { kubeconfig: api.kubeconfig, timeoutMs: 1 }))
      .rejects.toThrow(/did not finish in 1 ms/);
    await etcd.stop();
  });
});
