import { StatusError } from '@mk8s/apimachinery';
import type { SchemaNode } from '@mk8s/apimachinery';
import { applyStrategicMergePatch } from './strategicpatch';
import { PatchApplyError, PatchServerError, StrategicMergeUnsupportedError } from './errors';
import { deployment, pod, service } from './testschemas';

type Obj = Record<string, any>;
const smp = (doc: unknown, patch: unknown, schema: SchemaNode = pod) => applyStrategicMergePatch(doc, patch, schema) as Obj;

function failure(fn: () => unknown): StatusError {
  try { fn(); } catch (e) { if (e instanceof StatusError) return e; throw e; }
  throw new Error('expected a StatusError');
}

const basePod = () => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name: 'p', labels: { app: 'web', tier: 'fe' }, finalizers: ['a', 'b'] },
  spec: {
    containers: [
      { name: 'app', image: 'nginx:1', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }, { name: 'C', value: '3' }],
        ports: [{ containerPort: 80, protocol: 'TCP' }], args: ['--a', '--b'] },
      { name: 'sidecar', image: 'busybox' },
    ],
    tolerations: [{ key: 'k1', operator: 'Exists' }],
    volumes: [{ name: 'data', emptyDir: {} }],
  },
});

describe('strategic merge patch: maps and scalars', () => {
  it('merges maps recursively and deletes keys with null', () => {
    const out = smp(basePod(), { metadata: { labels: { tier: null, env: 'prod' } } });
    expect(out.metadata.labels).toEqual({ app: 'web', env: 'prod' });
    expect(out.spec.containers).toHaveLength(2);
  });
  it('adds new keys, discarding nulls and directives inside them', () => {
    const out = smp({ spec: {} }, { spec: { nodeName: 'n1', hostNetwork: null, securityContext: { runAsUser: 1, x: null } } });
    expect(out.spec).toEqual({ nodeName: 'n1', securityContext: { runAsUser: 1 } });
  });
  it('replaces a value of a different type', () => {
    expect(smp({ spec: { nodeName: 'a' } }, { spec: { nodeName: { x: 1 } } }).spec.nodeName).toEqual({ x: 1 });
    expect(smp({ spec: { nodeName: { x: 1 } } }, { spec: { nodeName: 'b' } }).spec.nodeName).toBe('b');
  });
  it('never mutates its inputs', () => {
    const doc = basePod(), patch = { spec: { containers: [{ name: 'app', image: 'nginx:2' }] } };
    const before = JSON.stringify([doc, patch]);
    smp(doc, patch);
    expect(JSON.stringify([doc, patch])).toBe(before);
  });
  it('$patch: replace on a map uses the patch map as is', () => {
    const out = smp(basePod(), { metadata: { labels: { $patch: 'replace', only: 'this' } } });
    expect(out.metadata.labels).toEqual({ only: 'this' });
  });
  it('$patch: delete on a map leaves an empty map', () => {
    expect(smp(basePod(), { metadata: { labels: { $patch: 'delete' } } }).metadata.labels).toEqual({});
  });
  it('an unknown $patch directive in a map is a 400 with the upstream message (upstream: 500; never a 500 for bad input here)', () => {
    const e = failure(() => smp(basePod(), { metadata: { labels: { $patch: 'merge' } } }));
    expect(e).toBeInstanceOf(PatchServerError);
    expect(e.code).toBe(400);
    expect(e.reason).toBe('BadRequest');
    expect(e.message).toBe('unknown patch type: merge in map: map[$patch:merge]');
  });
});

describe('strategic merge patch: lists merged by key', () => {
  it('merges a container by name and keeps the others', () => {
    const out = smp(basePod(), { spec: { containers: [{ name: 'app', image: 'nginx:2' }] } });
    expect(out.spec.containers.map((c: Obj) => c.name)).toEqual(['app', 'sidecar']);
    expect(out.spec.containers[0].image).toBe('nginx:2');
    expect(out.spec.containers[0].env).toHaveLength(3);
    expect(out.spec.containers[1]).toEqual({ name: 'sidecar', image: 'busybox' });
  });
  it('puts an item only the patch has before live-only items (upstream mergeSortedSlice)', () => {
    const out = smp(basePod(), { spec: { containers: [{ name: 'extra', image: 'x' }] } });
    expect(out.spec.containers.map((c: Obj) => c.name)).toEqual(['extra', 'app', 'sidecar']);
  });
  it('orders patch items by the patch and live-only items by the live list (mergeSortedSlice)', () => {
    const doc = { spec: { containers: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] } };
    // b is changed and d added: a (earlier than b in live) first, then the patch items, then c.
    const out = smp(doc, { spec: { containers: [{ name: 'b', image: 'x' }, { name: 'd' }] } });
    expect(out.spec.containers.map((c: Obj) => c.name)).toEqual(['a', 'b', 'd', 'c']);
    // Patch items keep the patch's order (c before a); b, live before c, goes first.
    const out2 = smp(doc, { spec: { containers: [{ name: 'c', image: 'x' }, { name: 'a', image: 'y' }] } });
    expect(out2.spec.containers.map((c: Obj) => c.name)).toEqual(['b', 'c', 'a']);
  });
  it('deletes an item by $patch: delete', () => {
    const out = smp(basePod(), { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] } });
    expect(out.spec.containers.map((c: Obj) => c.name)).toEqual(['app']);
  });
  it('merges nested lists: env by name, ports by containerPort', () => {
    const out = smp(basePod(), { spec: { containers: [{ name: 'app',
      env: [{ name: 'B', value: 'two' }, { name: 'D', value: '4' }],
      ports: [{ containerPort: 443, protocol: 'TCP' }] }] } });
    const app = out.spec.containers[0];
    expect(app.env).toEqual([{ name: 'A', value: '1' }, { name: 'B', value: 'two' }, { name: 'D', value: '4' }, { name: 'C', value: '3' }]);
    expect(app.ports).toEqual([{ containerPort: 443, protocol: 'TCP' }, { containerPort: 80, protocol: 'TCP' }]);
  });
  it('applies the three-way patch kubectl apply sends when one env var is removed', () => {
    // kubectl apply: last-applied had env A,B,C; the new file has A,C.
    const patch = { spec: {
      $setElementOrder: undefined,
      '$setElementOrder/containers': [{ name: 'app' }, { name: 'sidecar' }],
      containers: [{ name: 'app', '$setElementOrder/env': [{ name: 'A' }, { name: 'C' }], env: [{ $patch: 'delete', name: 'B' }] }],
    } };
    delete (patch.spec as Obj).$setElementOrder;
    const out = smp(basePod(), patch);
    expect(out.spec.containers[0].env).toEqual([{ name: 'A', value: '1' }, { name: 'C', value: '3' }]);
    expect(out.spec.containers.map((c: Obj) => c.name)).toEqual(['app', 'sidecar']);
    expect(JSON.stringify(out)).not.toContain('$');
  });
  it('$setElementOrder reorders and keeps server-only items in place', () => {
    const doc = { spec: { containers: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] } };
    const out = smp(doc, { spec: { '$setElementOrder/containers': [{ name: 'c' }, { name: 'a' }], containers: [{ name: 'c', image: 'x' }] } });
    // c and a follow the order list; b (server only) precedes c as it did live.
    expect(out.spec.containers.map((c: Obj) => c.name)).toEqual(['b', 'c', 'a']);
    expect(out.spec.containers[1].image).toBe('x');
  });
  it('$setElementOrder with items added by the patch', () => {
    const doc = { spec: { containers: [{ name: 'a' }, { name: 'b' }] } };
    const out = smp(doc, { spec: { '$setElementOrder/containers': [{ name: 'a' }, { name: 'n' }, { name: 'b' }], containers: [{ name: 'n', image: 'new' }] } });
    expect(out.spec.containers.map((c: Obj) => c.name)).toEqual(['a', 'n', 'b']);
  });
  it('refuses a patch list whose order contradicts $setElementOrder', () => {
    const doc = { spec: { containers: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] } };
    const e = failure(() => smp(doc, { spec: { '$setElementOrder/containers': [{ name: 'a' }, { name: 'b' }, { name: 'c' }],
      containers: [{ name: 'c', image: '1' }, { name: 'a', image: '2' }] } }));
    expect(e.code).toBe(400);
    expect(e.message).toContain("doesn't match $setElementOrder list");
  });
  // Cases from upstream's strategicpatch tests (three-way patches applied to the current object): the order of the
  // result follows upstream's in-place slice updates.
  it('add map and delete map from merging list (upstream case)', () => {
    const current = { spec: { containers: [{ name: '1' }, { name: '2', image: 'b' }, { name: '4', image: 'c' }] } };
    const out = smp(current, { spec: { '$setElementOrder/containers': [{ name: '2' }, { name: '3' }],
      containers: [{ name: '3' }, { name: '1', $patch: 'delete' }] } });
    expect(out.spec.containers).toEqual([{ name: '2', image: 'b' }, { name: '4', image: 'c' }, { name: '3' }]);
  });
  it('add map and delete map from merging list with conflict (upstream case)', () => {
    const current = { spec: { containers: [{ name: '1', image: 'a' }, { name: '4', image: 'c' }] } };
    const out = smp(current, { spec: { '$setElementOrder/containers': [{ name: '2' }, { name: '3' }],
      containers: [{ name: '2' }, { name: '3' }, { name: '1', $patch: 'delete' }] } });
    expect(out.spec.containers).toEqual([{ name: '4', image: 'c' }, { name: '2' }, { name: '3' }]);
  });
  it('delete missing map from merging list with conflict (upstream case)', () => {
    const current = { spec: { containers: [{ name: '3', image: 'a' }] } };
    const out = smp(current, { spec: { '$setElementOrder/containers': [{ name: '2' }],
      containers: [{ name: '2' }, { name: '1', $patch: 'delete' }] } });
    expect(out.spec.containers).toEqual([{ name: '2' }, { name: '3', image: 'a' }]);
  });
  it('add field to map in merging list with conflict (upstream case)', () => {
    const current = { spec: { containers: [{ name: '1', image: 'a' }, { name: '3', image: 'b', imagePullPolicy: '2' }] } };
    const out = smp(current, { spec: { '$setElementOrder/containers': [{ name: '1' }, { name: '2' }],
      containers: [{ name: '1', imagePullPolicy: '1' }, { name: '2', imagePullPolicy: '2' }] } });
    expect(out.spec.containers).toEqual([{ name: '1', image: 'a', imagePullPolicy: '1' }, { name: '2', imagePullPolicy: '2' },
      { name: '3', image: 'b', imagePullPolicy: '2' }]);
  });
  it('$patch: replace inside a list replaces the whole list', () => {
    const out = smp(basePod(), { spec: { containers: [{ name: 'only', image: 'x' }, { $patch: 'replace' }] } });
    expect(out.spec.containers).toEqual([{ name: 'only', image: 'x' }]);
  });
  it('$patch: merge inside a list is refused as upstream does', () => {
    const e = failure(() => smp(basePod(), { spec: { containers: [{ name: 'app', $patch: 'merge' }] } }));
    expect(e.message).toBe('merging lists cannot yet be specified in the patch');
  });
  it('a patch item without the merge key is a 400 with the message upstream answers (with a 500)', () => {
    const e = failure(() => smp(basePod(), { spec: { containers: [{ image: 'httpd' }] } }));
    expect(e.code).toBe(400);
    expect(e.message).toBe('map: map[image:httpd] does not contain declared merge key: name');
  });
  it('a delete directive without the merge key is refused', () => {
    const e = failure(() => smp(basePod(), { spec: { containers: [{ $patch: 'delete' }] } }));
    expect(e.message).toBe('map: map[$patch:delete] does not contain declared merge key: name');
  });
  it('merges service ports by port', () => {
    const svc = { spec: { ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }, { port: 443, protocol: 'TCP' }] } };
    const out = smp(svc, { spec: { ports: [{ port: 80, targetPort: 9090 }] } }, service);
    expect(out.spec.ports).toEqual([{ port: 80, targetPort: 9090, protocol: 'TCP' }, { port: 443, protocol: 'TCP' }]);
  });
  it('deletes a list item and merges another in one patch', () => {
    const out = smp(basePod(), { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }, { name: 'app', image: 'v3' }] } });
    expect(out.spec.containers).toHaveLength(1);
    expect(out.spec.containers[0].image).toBe('v3');
  });
  it('removes nested directives of items the patch adds', () => {
    const out = smp(basePod(), { spec: { containers: [{ name: 'n', env: [{ name: 'X', $patch: 'delete' }, { name: 'Y', value: 'y' }], image: null }] } });
    expect(out.spec.containers[0]).toEqual({ name: 'n', env: [{ name: 'Y', value: 'y' }] });
  });
});

describe('strategic merge patch: primitive lists and atomic lists', () => {
  it('merges finalizers as a set', () => {
    expect(smp(basePod(), { metadata: { finalizers: ['b', 'c'] } }).metadata.finalizers).toEqual(['a', 'b', 'c']);
  });
  it('$deleteFromPrimitiveList removes values', () => {
    expect(smp(basePod(), { metadata: { '$deleteFromPrimitiveList/finalizers': ['a', 'zz'] } }).metadata.finalizers).toEqual(['b']);
  });
  it('$deleteFromPrimitiveList on a missing list adds nothing', () => {
    expect(smp({ metadata: {} }, { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } }).metadata).toEqual({});
  });
  it('adds and deletes primitives in one patch', () => {
    const out = smp(basePod(), { metadata: { finalizers: ['c'], '$deleteFromPrimitiveList/finalizers': ['a'] } });
    expect(out.metadata.finalizers).toEqual(['c', 'b']);
  });
  it('$setElementOrder on a primitive list orders it', () => {
    const out = smp(basePod(), { metadata: { '$setElementOrder/finalizers': ['c', 'b', 'a'], finalizers: ['c'] } });
    expect(out.metadata.finalizers).toEqual(['c', 'b', 'a']);
  });
  it('replaces atomic lists: tolerations, args', () => {
    const out = smp(basePod(), { spec: { tolerations: [{ key: 'k2', operator: 'Equal', value: 'v' }], containers: [{ name: 'app', args: ['--c'] }] } });
    expect(out.spec.tolerations).toEqual([{ key: 'k2', operator: 'Equal', value: 'v' }]);
    expect(out.spec.containers[0].args).toEqual(['--c']);
  });
  it('a malformed $deleteFromPrimitiveList key is a 400', () => {
    const e = failure(() => smp(basePod(), { metadata: { $deleteFromPrimitiveList: ['a'] } }));
    expect(e.code).toBe(400);
    expect(e.message).toBe('invalid patch format of primitive list');
  });
  it('a malformed $setElementOrder key is a 400', () => {
    const e = failure(() => smp(basePod(), { metadata: { $setElementOrder: ['a'] } }));
    expect(e.code).toBe(400);
    expect(e.message).toBe('invalid patch format of setElementOrder list');
  });
  it('lists of lists are the generic 422', () => {
    const e = failure(() => smp({ metadata: { finalizers: [] } }, { metadata: { finalizers: [['x']] } }));
    expect(e).toBeInstanceOf(PatchApplyError);
    expect(e.code).toBe(422);
  });
  it('mixed element types are refused', () => {
    const e = failure(() => smp({ metadata: { finalizers: ['a'] } }, { metadata: { finalizers: [1] } }));
    expect(e.code).toBe(400);
    expect(e.message).toContain('list element types are not identical');
  });
});

describe('strategic merge patch: retainKeys', () => {
  const deploy = () => ({ spec: { replicas: 1, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } } });
  it('switching strategy to Recreate clears rollingUpdate', () => {
    const out = smp(deploy(), { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: null } } }, deployment);
    expect(out.spec.strategy).toEqual({ type: 'Recreate' });
    expect(out.spec.replicas).toBe(1);
  });
  it('without the directive the stale rollingUpdate would stay', () => {
    const out = smp(deploy(), { spec: { strategy: { type: 'Recreate' } } }, deployment);
    expect(out.spec.strategy).toEqual({ type: 'Recreate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
  });
  it('retainKeys on volumes drops the old volume source', () => {
    const doc = { spec: { volumes: [{ name: 'data', emptyDir: {} }, { name: 'cfg', configMap: { name: 'c' } }] } };
    const out = smp(doc, { spec: { volumes: [{ name: 'data', $retainKeys: ['hostPath', 'name'], hostPath: { path: '/x' } }] } });
    expect(out.spec.volumes).toEqual([{ name: 'data', hostPath: { path: '/x' } }, { name: 'cfg', configMap: { name: 'c' } }]);
  });
  it('a patch field missing from $retainKeys is a 400', () => {
    const e = failure(() => smp(deploy(), { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: { maxSurge: 2 } } } }, deployment));
    expect(e.code).toBe(400);
    expect(e.message).toBe('invalid patch format of retainKeys');
  });
  it('$retainKeys must be a list', () => {
    const e = failure(() => smp(deploy(), { spec: { strategy: { $retainKeys: 'type' } } }, deployment));
    expect(e.code).toBe(400);
  });
});

describe('strategic merge patch: no schema', () => {
  it('is refused with 415 as upstream does for custom resources', () => {
    const e = failure(() => applyStrategicMergePatch({}, {}, undefined));
    expect(e).toBeInstanceOf(StrategicMergeUnsupportedError);
    expect(e.code).toBe(415);
    expect(e.reason).toBe('UnsupportedMediaType');
    expect(e.message).toBe('the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml');
  });
  it('a patch that is not an object is a 400', () => {
    expect(failure(() => smp({}, [1])).code).toBe(400);
  });
  it('fields unknown to the schema merge like a JSON merge patch', () => {
    const out = smp({ spec: { extra: { a: 1, l: [1] } } }, { spec: { extra: { b: 2, l: [2] } } });
    expect(out.spec.extra).toEqual({ a: 1, b: 2, l: [2] });
  });
});
