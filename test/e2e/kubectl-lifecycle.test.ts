// kubectl wait, describe (with events), delete (cascade policies, graceful and forced pod deletion, -l, --all),
// label/annotate/edit/scale, discovery and info commands, kubectl proxy, and namespace lifecycle.
import * as fs from 'fs';
import * as http from 'http';
import { freePort } from '../src';
import { startKube, table, type Kube } from './kubectl-helpers';

jest.setTimeout(60_000);

let k: Kube;
beforeAll(async () => { k = await startKube(); }, 60_000);

const pod = (name: string, extra: Record<string, unknown> = {}, labels: Record<string, string> = {}) => JSON.stringify({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, labels },
  spec: { containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }], ...extra },
});

describe('kubectl wait', () => {
  it('--for=condition after a status patch', async () => {
    await k.ok(['create', '-f', '-'], { input: pod('ready-me') });
    const w = k.background(['wait', '--for=condition=Ready', 'pod/ready-me', '--timeout=20s']);
    try {
      await k.ok(['patch', 'pod', 'ready-me', '--subresource=status', '--type=merge', '-p', '{"status":{"conditions":[{"type":"Ready","status":"True"}]}}']);
      await w.waitFor(/pod\/ready-me condition met\n/);
    } finally {
      await w.stop();
    }
    const cond = (await k.json(['pod', 'ready-me'])).status.conditions;
    expect(cond).toEqual([{ type: 'Ready', status: 'True' }]);
    // already true: returns at once
    expect(await k.ok(['wait', '--for=condition=Ready', 'pod/ready-me', '--timeout=5s'])).toBe('pod/ready-me condition met\n');
    // never true: times out with the upstream message
    const r = await k.fails(['wait', '--for=condition=PodScheduled', 'pod/ready-me', '--timeout=1s']);
    expect(r.stderr).toBe('error: timed out waiting for the condition on pods/ready-me\n');
  });

  it('--for=jsonpath on the phase', async () => {
    const w = k.background(['wait', "--for=jsonpath={.status.phase}=Running", 'pod/ready-me', '--timeout=20s']);
    try {
      await sleep(300);
      expect(w.stdout).toBe(''); // still Pending
      await k.ok(['patch', 'pod', 'ready-me', '--subresource=status', '--type=merge', '-p', '{"status":{"phase":"Running"}}']);
      await w.waitFor(/pod\/ready-me condition met\n/);
    } finally {
      await w.stop();
    }
    expect(table(await k.ok(['get', 'pod', 'ready-me']))[1].slice(0, 3)).toEqual(['ready-me', '0/1', 'Running']);
    // status patches leave the spec alone
    expect((await k.json(['pod', 'ready-me'])).spec.containers[0].image).toBe('busybox');
  });

  it('--for=delete returns once the object is gone', async () => {
    await k.ok(['create', '-f', '-'], { input: pod('doomed', { nodeName: 'n1' }) });
    await k.ok(['delete', 'pod', 'doomed', '--wait=false']);
    const w = k.background(['wait', '--for=delete', 'pod/doomed', '--timeout=20s']);
    try {
      await sleep(300);
      expect(w.stdout).toBe(''); // Terminating, not gone
      await k.ok(['delete', 'pod', 'doomed', '--grace-period=0', '--force']);
      await w.waitFor(/pod\/doomed condition met\n/);
    } finally {
      await w.stop();
    }
  });
});

describe('kubectl describe', () => {
  it('a pod, with an Event about it listed under Events', async () => {
    const uid = (await k.json(['pod', 'ready-me'])).metadata.uid;
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    await k.ok(['create', '-f', '-'], { input: JSON.stringify({
      apiVersion: 'v1', kind: 'Event', metadata: { name: 'ready-me.1' },
      involvedObject: { apiVersion: 'v1', kind: 'Pod', name: 'ready-me', namespace: 'default', uid },
      reason: 'Pulled', message: 'Container image "busybox" already present on machine', type: 'Normal',
      source: { component: 'kubelet', host: 'n1' }, firstTimestamp: now, lastTimestamp: now, count: 1,
    }) });
    const out = await k.ok(['describe', 'pod', 'ready-me']);
    expect(out).toMatch(/^Name:\s+ready-me\nNamespace:\s+default\n/);
    expect(out).toMatch(/\nStatus:\s+Running\n/);
    expect(out).toMatch(/\nService Account:\s+default\n/);
    expect(out).toMatch(/\nContainers:\n {2}c:\n {4}Image:\s+busybox\n/);
    expect(out).toMatch(/\nQoS Class:\s+BestEffort\n/);
    expect(out).toMatch(/\nConditions:\n\s+Type\s+Status\n\s+Ready\s+True\s*\n/);
    expect(out).toMatch(/\nEvents:\n\s+Type\s+Reason\s+Age\s+From\s+Message\n\s+----\s+------\s+----\s+----\s+-------\n\s+Normal\s+Pulled\s+\d+s\s+kubelet\s+Container image "busybox" already present on machine\n/);
    // kubectl events --for selects by involvedObject fields
    const ev = table(await k.ok(['events', '--for', 'pod/ready-me']));
    expect(ev[0]).toEqual(['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']);
    expect(ev.slice(1).map((r) => r.slice(1))).toEqual([['Normal', 'Pulled', 'Pod/ready-me', 'Container image "busybox" already present on machine']]);
    expect(await k.ok(['get', 'events', '--field-selector', 'involvedObject.name=nobody', '-o', 'name'])).toBe('');
  });

  it('a deployment with its strategy, template and events', async () => {
    await k.ok(['create', 'deployment', 'shown', '--image=nginx:1.25', '--replicas=2', '--port=80']);
    const d = await k.json(['deploy', 'shown']);
    await k.ok(['create', '-f', '-'], { input: JSON.stringify({
      apiVersion: 'v1', kind: 'Event', metadata: { name: 'shown.1' },
      involvedObject: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'shown', namespace: 'default', uid: d.metadata.uid },
      reason: 'ScalingReplicaSet', message: 'Scaled up replica set shown-abc to 2', type: 'Normal',
      source: { component: 'deployment-controller' }, count: 1,
      firstTimestamp: d.metadata.creationTimestamp, lastTimestamp: d.metadata.creationTimestamp,
    }) });
    const out = await k.ok(['describe', 'deployment', 'shown']);
    expect(out).toMatch(/^Name:\s+shown\nNamespace:\s+default\n/);
    expect(out).toMatch(/\nSelector:\s+app=shown\n/);
    expect(out).toMatch(/\nReplicas:\s+2 desired \| 0 updated \| 0 total \| 0 available \| 0 unavailable\n/);
    expect(out).toMatch(/\nStrategyType:\s+RollingUpdate\n/);
    expect(out).toMatch(/\nRollingUpdateStrategy:\s+25% max unavailable, 25% max surge\n/);
    expect(out).toMatch(/\n {3}nginx:\n {4}Image:\s+nginx:1\.25\n {4}Port:\s+80\/TCP\n/);
    expect(out).toMatch(/\n\s+Normal\s+ScalingReplicaSet\s+\S+\s+deployment-controller\s+Scaled up replica set shown-abc to 2\n/);
  });
});

describe('kubectl delete', () => {
  it('--cascade=orphan|foreground|background set the propagation finalizers of an object held by a finalizer', async () => {
    await k.ok(['create', 'deployment', 'held', '--image=nginx']);
    await k.ok(['patch', 'deployment', 'held', '--type=merge', '-p', '{"metadata":{"finalizers":["example.com/hold"]}}']);
    expect(await k.ok(['delete', 'deployment', 'held', '--cascade=orphan', '--wait=false'])).toBe('deployment.apps "held" deleted\n');
    let d = await k.json(['deploy', 'held']);
    expect(d.metadata.deletionTimestamp).toBeDefined();
    expect(d.metadata.finalizers).toEqual(['example.com/hold', 'orphan']);
    await k.ok(['delete', 'deployment', 'held', '--cascade=foreground', '--wait=false']);
    d = await k.json(['deploy', 'held']);
    expect(d.metadata.finalizers).toEqual(['example.com/hold', 'foregroundDeletion']);
    await k.ok(['delete', 'deployment', 'held', '--cascade=background', '--wait=false']);
    d = await k.json(['deploy', 'held']);
    expect(d.metadata.finalizers).toEqual(['example.com/hold']);
    // new finalizers cannot be added while deleting; removing the last one deletes the object
    const add = await k.fails(['patch', 'deployment', 'held', '--type=json', '-p', '[{"op":"add","path":"/metadata/finalizers/-","value":"example.com/late"}]']);
    expect(add.stderr).toContain('no new finalizers can be added if the object is being deleted');
    await k.ok(['patch', 'deployment', 'held', '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]']);
    expect((await k.fails(['get', 'deploy', 'held'])).stderr).toContain('deployments.apps "held" not found');
  });

  it('a pod on a node terminates gracefully; --grace-period=0 --force removes it', async () => {
    expect(await k.ok(['create', '-f', k.file('bound.yaml', pod('bound', { nodeName: 'n1' }))])).toBe('pod/bound created\n');
    expect(await k.ok(['delete', 'pod', 'bound', '--wait=false'])).toBe('pod "bound" deleted\n');
    const p = await k.json(['pod', 'bound']);
    expect(p.metadata.deletionGracePeriodSeconds).toBe(30);
    const deadline = Date.parse(p.metadata.deletionTimestamp) - Date.now();
    expect(deadline).toBeGreaterThan(20_000);
    expect(deadline).toBeLessThanOrEqual(31_000);
    expect(table(await k.ok(['get', 'pod', 'bound']))[1].slice(0, 3)).toEqual(['bound', '0/1', 'Terminating']);
    const r = await k.run(['delete', 'pod', 'bound', '--grace-period=0', '--force']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('pod "bound" force deleted\n');
    expect(r.stderr).toContain('Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated.');
    expect((await k.fails(['get', 'pod', 'bound'])).stderr).toBe('Error from server (NotFound): pods "bound" not found\n');
  });

  it('-l deletes the matching objects, --all the rest', async () => {
    for (const [name, tier] of [['d1', 'a'], ['d2', 'a'], ['d3', 'b']]) {
      await k.ok(['create', 'configmap', name, '-n', 'kube-public', `--from-literal=t=${tier}`]);
      await k.ok(['label', 'configmap', name, '-n', 'kube-public', `tier=${tier}`]);
    }
    expect(await k.ok(['delete', 'configmaps', '-n', 'kube-public', '-l', 'tier=a'])).toBe('configmap "d1" deleted\nconfigmap "d2" deleted\n');
    expect(await k.ok(['get', 'cm', '-n', 'kube-public', '-o', 'name', '-l', 'tier'])).toBe('configmap/d3\n');
    expect(await k.ok(['delete', 'configmaps', '-n', 'kube-public', '-l', 'tier=nothing'])).toBe('No resources found\n');
    expect(await k.ok(['delete', 'configmaps', '-n', 'kube-public', '--all'])).toContain('configmap "d3" deleted\n');
    expect(await k.ok(['get', 'cm', '-n', 'kube-public', '-o', 'name', '-l', 'tier'])).toBe('');
  });
});

describe('label, annotate, edit, scale', () => {
  it('label and annotate, --overwrite and key- removal', async () => {
    await k.ok(['create', 'configmap', 'tags', '--from-literal=a=1']);
    expect(await k.ok(['label', 'configmap', 'tags', 'env=dev'])).toBe('configmap/tags labeled\n');
    const again = await k.fails(['label', 'configmap', 'tags', 'env=prod']);
    expect(again.stderr).toBe("error: 'env' already has a value (dev), and --overwrite is false\n");
    expect(await k.ok(['label', 'configmap', 'tags', 'env=prod', '--overwrite'])).toBe('configmap/tags labeled\n');
    expect(await k.ok(['annotate', 'configmap', 'tags', 'owner=me', 'note=x'])).toBe('configmap/tags annotated\n');
    expect((await k.fails(['annotate', 'configmap', 'tags', 'owner=you'])).stderr).toContain("'owner' already has a value (me)");
    await k.ok(['annotate', 'configmap', 'tags', 'owner=you', '--overwrite']);
    let cm = await k.json(['cm', 'tags']);
    expect(cm.metadata.labels).toEqual({ env: 'prod' });
    expect(cm.metadata.annotations).toEqual({ owner: 'you', note: 'x' });
    expect(await k.ok(['label', 'configmap', 'tags', 'env-'])).toBe('configmap/tags unlabeled\n');
    await k.ok(['annotate', 'configmap', 'tags', 'note-']);
    cm = await k.json(['cm', 'tags']);
    expect(cm.metadata.labels).toBeUndefined();
    expect(cm.metadata.annotations).toEqual({ owner: 'you' });
    const bad = await k.fails(['label', 'configmap', 'tags', 'bad key=1']);
    expect(bad.stderr).toContain('The ConfigMap "tags" is invalid: metadata.labels: Invalid value: "bad key": name part must consist of alphanumeric characters');
  });

  it('edit with EDITOR set to a sed script', async () => {
    const editor = k.file('editor.sh', '#!/bin/sh\nsed -i "s/^  a: \\"1\\"$/  a: \\"edited\\"/" "$1"\n');
    fs.chmodSync(editor, 0o755);
    expect(await k.ok(['edit', 'configmap', 'tags'], { env: { EDITOR: editor, KUBE_EDITOR: editor } })).toBe('configmap/tags edited\n');
    expect((await k.json(['cm', 'tags'])).data).toEqual({ a: 'edited' });
    // an edit that changes nothing
    const noop = k.file('noop.sh', '#!/bin/sh\ntrue\n');
    fs.chmodSync(noop, 0o755);
    const r = await k.run(['edit', 'configmap', 'tags'], { env: { EDITOR: noop, KUBE_EDITOR: noop } });
    expect(r).toMatchObject({ code: 0, stderr: 'Edit cancelled, no changes made.\n' });
    // an edit the server refuses: kubectl keeps a copy and fails
    const breaker = k.file('breaker.sh', '#!/bin/sh\nsed -i "s/^  name: tags$/  name: Not_Valid/" "$1"\n');
    fs.chmodSync(breaker, 0o755);
    const refused = await k.run(['edit', 'configmap', 'tags'], { env: { EDITOR: breaker, KUBE_EDITOR: breaker } });
    expect(refused.code).not.toBe(0);
    expect((await k.json(['cm', 'tags'])).metadata.name).toBe('tags');
  });

  it('scale a deployment, a replicaset and a statefulset through /scale', async () => {
    await k.ok(['apply', '-f', k.file('scalables.yaml', `apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: rs1}
spec:
  replicas: 1
  selector: {matchLabels: {app: rs1}}
  template:
    metadata: {labels: {app: rs1}}
    spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: sts1}
spec:
  replicas: 1
  serviceName: sts1
  selector: {matchLabels: {app: sts1}}
  template:
    metadata: {labels: {app: sts1}}
    spec: {containers: [{name: c, image: nginx}]}
`)]);
    const r = await k.run(['scale', 'deployment', 'shown', '--replicas=4', '-v=6']);
    expect(r.stdout).toBe('deployment.apps/shown scaled\n');
    expect(r.stderr).toMatch(/PATCH \S+\/apis\/apps\/v1\/namespaces\/default\/deployments\/shown\/scale 200 OK/);
    expect(await k.ok(['scale', 'replicaset', 'rs1', '--replicas=3'])).toBe('replicaset.apps/rs1 scaled\n');
    expect(await k.ok(['scale', 'statefulset', 'sts1', '--replicas=2'])).toBe('statefulset.apps/sts1 scaled\n');
    expect((await k.json(['deploy', 'shown'])).spec.replicas).toBe(4);
    expect((await k.json(['rs', 'rs1'])).spec.replicas).toBe(3);
    expect((await k.json(['sts', 'sts1'])).spec.replicas).toBe(2);
    const pre = await k.fails(['scale', 'replicaset', 'rs1', '--current-replicas=1', '--replicas=5']);
    expect(pre.stderr).toBe('error: Expected replicas to be 1, was 3\n');
    const neg = await k.fails(['scale', 'statefulset', 'sts1', '--replicas=-1']);
    expect(neg.stderr).toContain('The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0');
    const scale = JSON.parse(await k.ok(['get', '--raw', '/apis/apps/v1/namespaces/default/statefulsets/sts1/scale']));
    expect(scale).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 2 }, status: { selector: 'app=sts1' } });
  });
});

describe('discovery and info', () => {
  it('api-resources and api-versions', async () => {
    const rows = table(await k.ok(['api-resources']));
    expect(rows[0]).toEqual(['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND']);
    const byName = new Map(rows.slice(1).map((r) => [r[0], r]));
    expect(byName.get('pods')).toEqual(['pods', 'po', 'v1', 'true', 'Pod']);
    expect(byName.get('deployments')).toEqual(['deployments', 'deploy', 'apps/v1', 'true', 'Deployment']);
    expect(byName.get('namespaces')).toEqual(['namespaces', 'ns', 'v1', 'false', 'Namespace']);
    expect(byName.get('jobs')).toEqual(['jobs', 'batch/v1', 'true', 'Job']);
    expect(await k.ok(['api-resources', '--api-group=batch', '-o', 'name'])).toBe('cronjobs.batch\njobs.batch\n');
    const cluster = (await k.ok(['api-resources', '--namespaced=false', '-o', 'name'])).split('\n');
    expect(cluster).toEqual(expect.arrayContaining(['namespaces', 'nodes', 'persistentvolumes', 'priorityclasses.scheduling.k8s.io']));
    expect(cluster).not.toContain('pods');
    const versions = (await k.ok(['api-versions'])).split('\n').filter(Boolean);
    expect(versions).toEqual(expect.arrayContaining(['v1', 'apps/v1', 'batch/v1', 'autoscaling/v2', 'policy/v1']));
    expect(versions).toEqual([...versions].sort());
  });

  it('version and cluster-info', async () => {
    const v = JSON.parse(await k.ok(['version', '-o', 'json']));
    expect(v.serverVersion).toMatchObject({ major: '1', minor: '32' });
    expect(v.serverVersion.gitVersion).toMatch(/^v1\.32\./);
    expect(await k.ok(['version'])).toMatch(/\nServer Version: v1\.32\.\S+\n/);
    const info = await k.ok(['cluster-info']);
    expect(info).toContain(`Kubernetes control plane is running at ${k.c.apiserver.url}\n`);
  });

  it('kubectl proxy forwards to the apiserver until killed', async () => {
    const port = await freePort();
    const proxy = k.background(['proxy', `--port=${port}`, '--address=127.0.0.1']);
    try {
      await proxy.waitFor(new RegExp(`Starting to serve on 127\\.0\\.0\\.1:${port}`));
      const body = await new Promise<string>((resolve, reject) => {
        http.get(`http://127.0.0.1:${port}/api/v1/namespaces`, (res) => {
          let b = '';
          res.setEncoding('utf8').on('data', (d) => (b += d)).on('end', () => (res.statusCode === 200 ? resolve(b) : reject(new Error(`${res.statusCode}: ${b}`))));
        }).on('error', reject);
      });
      const list = JSON.parse(body);
      expect(list.kind).toBe('NamespaceList');
      expect(list.items.map((n: any) => n.metadata.name)).toEqual(expect.arrayContaining(['default', 'kube-system', 'kube-public']));
    } finally {
      await proxy.stop();
    }
    await expect(fetch(`http://127.0.0.1:${port}/api`, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
  });
});

describe('namespaces', () => {
  it('creating into a missing namespace fails', async () => {
    const r = await k.fails(['create', 'configmap', 'x', '-n', 'nope', '--from-literal=a=1']);
    expect(r.stderr).toBe('error: failed to create configmap: namespaces "nope" not found\n');
    const f = await k.fails(['create', '-f', '-', '-n', 'nope'], { input: pod('x') });
    expect(f.stderr).toContain('namespaces "nope" not found');
  });

  it('a deleted namespace stays Terminating and refuses new content', async () => {
    // No namespace controller runs in this test, so nothing empties and finalizes the namespace: it stays
    // Terminating here. (When the controller exists, it will vanish; this test does not wait for that.)
    await k.ok(['create', 'namespace', 'leaving']);
    await k.ok(['create', 'configmap', 'old', '-n', 'leaving', '--from-literal=a=1']);
    expect(await k.ok(['delete', 'namespace', 'leaving', '--wait=false'])).toBe('namespace "leaving" deleted\n');
    const ns = await k.json(['namespace', 'leaving']);
    expect(ns.status.phase).toBe('Terminating');
    expect(ns.metadata.deletionTimestamp).toBeDefined();
    expect(ns.spec.finalizers).toEqual(['kubernetes']);
    expect(table(await k.ok(['get', 'namespace', 'leaving']))[1].slice(0, 2)).toEqual(['leaving', 'Terminating']);
    const r = await k.fails(['create', 'configmap', 'new', '-n', 'leaving', '--from-literal=a=1']);
    expect(r.stderr).toBe('error: failed to create configmap: configmaps "new" is forbidden: unable to create new content in namespace leaving because it is being terminated\n');
    const f = await k.fails(['create', '-f', '-', '-n', 'leaving'], { input: pod('late') });
    expect(f.stderr).toContain('Error from server (Forbidden): error when creating "STDIN": pods "late" is forbidden: unable to create new content in namespace leaving because it is being terminated');
    // what was there is still readable (and updatable) until the controller removes it
    expect(await k.ok(['get', 'cm', 'old', '-n', 'leaving', '-o', 'name'])).toBe('configmap/old\n');
    await k.ok(['label', 'cm', 'old', '-n', 'leaving', 'x=y']);
    const sys = await k.fails(['delete', 'namespace', 'kube-system', '--wait=false']);
    expect(sys.stderr).toContain('forbidden: this namespace may not be deleted');
  });
});

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
