// deploy/lab/netns-lab.sh itself: the lab's addresses and routes are those of the recipe (no default route
// anywhere, service CIDR on lo, host-gw routes), every node dockerd has the images and their aliases, another
// live owner's lab is never taken, a crashed run's leftovers (SIGKILLed dockerd, running containers) are cleaned
// by the next `up`, and `down` leaves no namespace, link, route, directory, cgroup or process behind.
import { ChildProcess, execFile, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import { LAB_SCRIPT, Lab, nodeDocker, startLab } from '../src/lab';

jest.setTimeout(90_000);

let lab: Lab;
let stranger: ChildProcess | undefined;

const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8' });
function script(args: string[], owner: number): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(LAB_SCRIPT, args, { env: { ...process.env, MK8S_LAB_OWNER: String(owner) }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as any).code ?? 1) : 0, out: `${stdout}${stderr}` }));
  });
}
const cgroupDirs = (i: number) => fs.readdirSync('/sys/fs/cgroup').flatMap((ctrl) =>
  [`/sys/fs/cgroup/${ctrl}/mk8s-node${i}`].filter((d) => fs.existsSync(d)));
const procs = (dir: string) => { try { return fs.readFileSync(`${dir}/cgroup.procs`, 'utf8').split('\n').filter(Boolean); } catch { return []; } };

beforeAll(async () => {
  lab = await startLab(2);
}, 90_000);
afterAll(async () => {
  stranger?.kill('SIGKILL');
  await lab?.down();
});

test('nodes have the recipe addresses and routes and no default route; the host routes pod CIDRs into the lab', () => {
  expect(sh('ip', ['-4', '-o', 'addr', 'show', 'mk8s-lab0'])).toContain('10.200.0.1/24');
  const hostRoutes = sh('ip', ['route', 'show']);
  for (const n of lab.nodes) {
    expect(hostRoutes).toContain(`${n.podCIDR} via ${n.ip} dev mk8s-lab0`);
    expect(sh('ip', ['-n', n.netns, '-4', '-o', 'addr', 'show', 'eth0'])).toContain(`${n.ip}/24`);
    const routes = sh('ip', ['-n', n.netns, 'route', 'show']);
    expect(routes).not.toMatch(/^default/m);
    expect(routes).toMatch(new RegExp(`^10\\.96\\.0\\.0/12 dev lo .*src ${n.ip.replace(/\./g, '\\.')}`, 'm'));
    for (const other of lab.nodes.filter((o) => o !== n)) expect(routes).toContain(`${other.podCIDR} via ${other.ip} dev eth0`);
    expect(sh('ip', ['-n', n.netns, '-4', '-o', 'addr', 'show', 'docker0'])).toContain(`10.244.${n.index}.1/24`);
  }
  expect(sh('ip', ['-n', 'mk8s-lab', 'route', 'show'])).not.toMatch(/^default/m);
});

test('every node dockerd has busybox and pause under the names users\' YAML says', async () => {
  for (const n of lab.nodes) {
    const r = await nodeDocker(n, ['images', '--format', '{{.Repository}}:{{.Tag}}']);
    expect(r.code).toBe(0);
    const tags = r.stdout.split('\n').filter(Boolean);
    for (const t of ['mk8s/busybox:1.35', 'mk8s/pause:3.9', 'busybox:latest', 'busybox:1.35', 'busybox:1.28', 'registry.k8s.io/pause:3.9']) {
      expect(tags).toContain(t);
    }
  }
});

test('a lab owned by another live process is neither taken by up nor removed by down', async () => {
  stranger = spawn('sleep', ['60'], { stdio: 'ignore' });
  const up = await script(['up', '1'], stranger.pid!);
  expect(up.code).toBe(3);
  expect(up.out).toContain(`the lab belongs to live process ${process.pid}`);
  const down = await script(['down'], stranger.pid!);
  expect(down.code).toBe(3);
  expect(sh('ip', ['netns', 'list'])).toContain('mk8s-node2');
  const leftovers = await script(['leftovers'], stranger.pid!);
  expect(leftovers.code).toBe(1); // its owner (this test process) is alive
});

test('up cleans a crashed run (SIGKILLed dockerd with running containers, owner pid reused), then a fresh lab', async () => {
  const [n1] = lab.nodes;
  const run = await nodeDocker(n1, ['run', '-d', '--name', 'mk8s-crash-left', 'mk8s/busybox:1.35', 'sleep', '600']);
  expect(run.code).toBe(0);
  const inspect = await nodeDocker(n1, ['inspect', '-f', '{{.State.Pid}}', 'mk8s-crash-left']);
  const sleeper = inspect.stdout.trim();
  expect(fs.readFileSync(`/proc/${sleeper}/cmdline`, 'utf8')).toBe(['sleep', '600', ''].join('\0'));
  const oldPid = fs.readFileSync('/run/mk8s-node1/dockerd.pid', 'utf8').trim();
  process.kill(Number(oldPid), 'SIGKILL');
  expect(cgroupDirs(1).some((d) => procs(d).length > 0 || fs.readdirSync(d).some((e) => /^[0-9a-f]{64}$/.test(e)))).toBe(true);
  // the recorded owner is a live pid that now belongs to another program (start time differs): treated as gone
  fs.writeFileSync('/run/mk8s-lab.owner', `${stranger!.pid} 1\n`);
  expect((await script(['leftovers'], process.pid)).code).toBe(0);
  lab = await startLab(2, { busyWaitMs: 0 }); // a re-run after a crash: must not wait for the "owner"
  const newPid = fs.readFileSync('/run/mk8s-node1/dockerd.pid', 'utf8').trim();
  expect(newPid).not.toBe(oldPid);
  const ps = await nodeDocker(n1, ['ps', '-aq']);
  expect(ps.code).toBe(0);
  expect(ps.stdout.trim()).toBe('');
  // the orphaned container process is dead too (a zombie counts: this VM's init reaps orphans lazily)
  const state = () => { try { return /^State:\s+(\S)/m.exec(fs.readFileSync(`/proc/${sleeper}/status`, 'utf8'))?.[1]; } catch { return 'gone'; } };
  expect(['gone', 'Z']).toContain(state());
  expect(cgroupDirs(1).flatMap((d) => fs.readdirSync(d).filter((e) => /^[0-9a-f]{64}$/.test(e)))).toEqual([]);
});

test('down leaves no namespace, link, route, directory, cgroup or process of the lab', async () => {
  await lab.down();
  expect(sh('ip', ['netns', 'list'])).not.toMatch(/mk8s-(lab|node)/);
  expect(sh('ip', ['-o', 'link', 'show'])).not.toContain('mk8s-lab0');
  expect(sh('ip', ['route', 'show'])).not.toContain('10.244.');
  expect(fs.readdirSync('/run').filter((f) => /^mk8s-node\d+$/.test(f))).toEqual([]);
  expect(fs.readdirSync('/var/lib').filter((f) => /^mk8s-node\d+$/.test(f))).toEqual([]);
  expect([1, 2].flatMap(cgroupDirs)).toEqual([]);
  expect(sh('ps', ['-eo', 'args']).split('\n').filter((l) => /--exec-root \/run\/mk8s-node\d|\/run\/mk8s-node\d\/exec\/containerd/.test(l))).toEqual([]);
  expect((await script(['leftovers'], process.pid)).code).toBe(1);
  expect((await script(['status'], process.pid)).out.trim()).toBe('no lab');
});
