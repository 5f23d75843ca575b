import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import winston from 'winston';
import type { Pod } from 'kubernetes-types/core/v1';
import { StaticPodSource, parseManifestFile, staticPodUid, ManifestError } from './index';

function memLogger() {
  const lines: { level: string; message: string; [k: string]: unknown }[] = [];
  const log = winston.createLogger({ level: 'debug', transports: [new winston.transports.Console({ silent: true })] });
  log.on('data', (info: any) => lines.push(info));
  return { log, lines };
}

const POD_YAML = `apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: { app: web }
spec:
  containers:
  - name: app
    image: busybox
`;

let dir: string;
beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mk8s-kubelet-io-static-')); });
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const waitFor = async (cond: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!cond()) { if (Date.now() > end) throw new Error('timed out'); await new Promise(r => setTimeout(r, 20)); }
};

describe('parseManifestFile', () => {
  it('defaults name, namespace, node, uid and the config annotations', () => {
    const [pod] = parseManifestFile('/m/web.yaml', POD_YAML, 'Node1');
    expect(pod.metadata!.name).toBe('web-node1');
    expect(pod.metadata!.namespace).toBe('default');
    expect(pod.spec!.nodeName).toBe('Node1');
    expect(pod.metadata!.uid).toMatch(/^[0-9a-f]{32}$/);
    expect(pod.metadata!.annotations).toEqual({ 'kubernetes.io/config.hash': pod.metadata!.uid, 'kubernetes.io/config.source': 'file' });
    expect(pod.spec!.tolerations).toEqual([{ operator: 'Exists', effect: 'NoExecute' }]);
    expect(pod.metadata!.labels).toEqual({ app: 'web' });
  });

  it('uid depends on content, node and file but not on key order', () => {
    const a = parseManifestFile('/m/a.yaml', POD_YAML, 'n1')[0].metadata!.uid;
    const reordered = `kind: Pod\napiVersion: v1\nspec:\n  containers: [{ image: busybox, name: app }]\nmetadata: { labels: { app: web }, name: web }\n`;
    expect(parseManifestFile('/m/a.yaml', reordered, 'n1')[0].metadata!.uid).toBe(a);
    expect(parseManifestFile('/m/a.yaml', POD_YAML, 'n2')[0].metadata!.uid).not.toBe(a);
    expect(parseManifestFile('/m/b.yaml', POD_YAML, 'n1')[0].metadata!.uid).not.toBe(a);
    expect(parseManifestFile('/m/a.yaml', POD_YAML.replace('busybox', 'busybox:1.28'), 'n1')[0].metadata!.uid).not.toBe(a);
    expect(staticPodUid({ b: 1, a: 2 }, 'n', 'f')).toBe(staticPodUid({ a: 2, b: 1 }, 'n', 'f'));
  });

  it('reads multi-document YAML and JSON, keeps an explicit namespace', () => {
    const two = `${POD_YAML}---\n${POD_YAML.replace('name: web', 'name: db\n  namespace: kube-system')}---\n`;
    const pods = parseManifestFile('/m/x.yml', two, 'n1');
    expect(pods.map(p => `${p.metadata!.namespace}/${p.metadata!.name}`)).toEqual(['default/web-n1', 'kube-system/db-n1']);
    const json = parseManifestFile('/m/x.json', JSON.stringify({ kind: 'Pod', metadata: { name: 'j' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } }), 'n1');
    expect(json[0].metadata!.name).toBe('j-n1');
  });

  it.each([
    ['kind: Deployment\nmetadata: {name: x}\n', /kind "Deployment" is not a static pod manifest/],
    ['kind: Pod\nspec:\n  containers: [{name: a, image: b}]\n', /metadata.name is required/],
    ['kind: Pod\nmetadata: {name: x}\nspec: {}\n', /spec.containers must list at least one container/],
    ['kind: Pod\nmetadata: {name: x}\nspec:\n  containers: [{name: a}]\n', /spec.containers\[0\].image is required/],
    ['kind: Pod\nmetadata: {name: X_Y}\nspec:\n  containers: [{name: a, image: b}]\n', /not a valid DNS-1123 subdomain/],
    ['- just\n- a list\n', /must be a Pod object/],
  ])('rejects %j', (text, msg) => {
    expect(() => parseManifestFile('/m/bad.yaml', text, 'n1')).toThrow(msg);
  });

  it('names the file and line of a YAML syntax error', () => {
    const text = `${POD_YAML}---\nkind: Pod\nmetadata:\n  name: [unclosed\n`;
    let err: unknown;
    try { parseManifestFile('/m/bad.yaml', text, 'n1'); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ManifestError);
    expect((err as ManifestError).file).toBe('/m/bad.yaml');
    expect((err as ManifestError).line).toBeGreaterThanOrEqual(12);
    expect((err as Error).message).toMatch(/^\/m\/bad\.yaml:\d+: invalid YAML/);
  });

  it('names the line of a JSON syntax error', () => {
    expect(() => parseManifestFile('/m/bad.json', '{\n "kind": "Pod",\n oops\n}', 'n1')).toThrow(/^\/m\/bad\.json:3: invalid JSON/);
  });
});

describe('StaticPodSource', () => {
  it('reports pods at start, on add/edit/delete, skips bad and non-manifest files', async () => {
    const { log, lines } = memLogger();
    fs.writeFileSync(path.join(dir, 'web.yaml'), POD_YAML);
    fs.writeFileSync(path.join(dir, 'bad.yaml'), 'kind: Pod\nmetadata: {name: x}\n');
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'not a manifest');
    fs.writeFileSync(path.join(dir, '.hidden.yaml'), POD_YAML.replace('name: web', 'name: hidden'));
    const updates: Pod[][] = [];
    const src = new StaticPodSource({ dir, nodeName: 'n1', log });
    src.start(p => updates.push(p));
    try {
      expect(updates).toHaveLength(1);
      expect(updates[0].map(p => p.metadata!.name)).toEqual(['web-n1']);
      const seen = updates[0][0].metadata!.annotations!['kubernetes.io/config.seen'];
      expect(new Date(seen).getTime()).toBeGreaterThan(Date.now() - 5000);
      expect(lines.some(l => l.level === 'error' && String(l.file).endsWith('bad.yaml') && /spec.containers/.test(String(l.error)))).toBe(true);
      const firstUid = updates[0][0].metadata!.uid;

      fs.writeFileSync(path.join(dir, 'db.json'), JSON.stringify({ kind: 'Pod', metadata: { name: 'db' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } }));
      await waitFor(() => updates.length >= 2 && updates[updates.length - 1].length === 2);
      const last = () => updates[updates.length - 1];
      expect(last().map(p => p.metadata!.name).sort()).toEqual(['db-n1', 'web-n1']);
      // the unchanged pod keeps its uid and its seen time
      const web = last().find(p => p.metadata!.name === 'web-n1')!;
      expect(web.metadata!.uid).toBe(firstUid);
      expect(web.metadata!.annotations!['kubernetes.io/config.seen']).toBe(seen);

      fs.writeFileSync(path.join(dir, 'web.yaml'), POD_YAML.replace('image: busybox', 'image: busybox:1.28'));
      await waitFor(() => last().find(p => p.metadata!.name === 'web-n1')?.spec!.containers[0].image === 'busybox:1.28');
      expect(last().find(p => p.metadata!.name === 'web-n1')!.metadata!.uid).not.toBe(firstUid);

      fs.unlinkSync(path.join(dir, 'db.json'));
      await waitFor(() => last().length === 1);
      expect(last()[0].metadata!.name).toBe('web-n1');
    } finally {
      src.stop();
    }
  });

  it('does not report again when nothing changed, and survives a missing dir', async () => {
    const { log, lines } = memLogger();
    const missing = path.join(dir, 'later');
    const updates: Pod[][] = [];
    const src = new StaticPodSource({ dir: missing, nodeName: 'n1', log, rescanMs: 50 });
    src.start(p => updates.push(p));
    try {
      expect(updates).toEqual([[]]);
      await new Promise(r => setTimeout(r, 200));
      expect(updates).toHaveLength(1); // rescans ran, nothing changed
      expect(lines.filter(l => /cannot read static pod manifest path/.test(l.message))).toHaveLength(1);
      fs.mkdirSync(missing);
      fs.writeFileSync(path.join(missing, 'web.yaml'), POD_YAML);
      await waitFor(() => updates.length === 2);
      expect(updates[1][0].metadata!.name).toBe('web-n1');
    } finally {
      src.stop();
    }
  });

  it('refuses a second file defining the same pod and keeps the first', () => {
    const { log, lines } = memLogger();
    fs.writeFileSync(path.join(dir, 'a.yaml'), POD_YAML);
    fs.writeFileSync(path.join(dir, 'b.yaml'), POD_YAML);
    const updates: Pod[][] = [];
    const src = new StaticPodSource({ dir, nodeName: 'n1', log });
    src.start(p => updates.push(p));
    src.stop();
    expect(updates[0]).toHaveLength(1);
    expect(updates[0][0].metadata!.annotations!['kubernetes.io/config.hash']).toBe(staticPodUid(
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'busybox' }] } }, 'n1', path.join(dir, 'a.yaml')));
    expect(lines.some(l => /also defined in/.test(String(l.error)))).toBe(true);
  });

  it('a consumer that throws does not stop the source', () => {
    const { log, lines } = memLogger();
    fs.writeFileSync(path.join(dir, 'a.yaml'), POD_YAML);
    const src = new StaticPodSource({ dir, nodeName: 'n1', log });
    expect(() => src.start(() => { throw new Error('boom'); })).not.toThrow();
    src.stop();
    expect(lines.some(l => l.message === 'static pod consumer failed')).toBe(true);
  });
});
