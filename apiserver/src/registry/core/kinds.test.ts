import { fieldErrorString } from '@mk8s/apimachinery';
import type { KObject, Strategy } from '../strategy';
import { configMapStrategy } from './configmaps';
import { endpointsStrategy, formatEndpoints } from './endpoints';
import { eventStrategy } from './events';
import { namespaceStrategy } from './namespaces';
import { nodeStrategy } from './nodes';
import { persistentVolumeClaimStrategy, persistentVolumeStrategy } from './persistentvolumes';
import { limitRangeStrategy, podTemplateStrategy, resourceQuotaStrategy } from './policies';
import { replicationControllerStrategy as rcS } from './replicationcontrollers';
import { secretStrategy } from './secrets';
import { serviceAccountStrategy } from './serviceaccounts';

const now = new Date('2024-01-03T03:00:00Z');
const meta = (name: string, ns?: string, extra: any = {}) => ({ name, ...(ns ? { namespace: ns } : {}), creationTimestamp: '2024-01-01T00:00:00Z', ...extra });
const errs = (s: Strategy, o: KObject) => s.validate(o).map(fieldErrorString);
const prep = (s: Strategy, o: KObject) => { s.defaults?.(o); s.prepareForCreate?.(o); return o; };

test('namespaces', () => {
  const ns = prep(namespaceStrategy, { metadata: meta('team-a') });
  expect(ns.spec).toEqual({ finalizers: ['kubernetes'] });
  expect(ns.status).toEqual({ phase: 'Active' });
  expect(ns.metadata.labels).toEqual({ 'kubernetes.io/metadata.name': 'team-a' });
  expect(errs(namespaceStrategy, ns)).toEqual([]);
  expect(errs(namespaceStrategy, prep(namespaceStrategy, { metadata: meta('a.b') }))[0]).toMatch(/^metadata\.name: Invalid value: "a\.b": a lowercase RFC 1123 label/);
  expect(namespaceStrategy.tableRow!(ns, now)).toEqual(['Active', '2d3h']);
  const upd = { ...ns, spec: { finalizers: [] } };
  namespaceStrategy.prepareForUpdate!(upd, ns);
  expect(upd.spec.finalizers).toEqual(['kubernetes']);
  expect(namespaceStrategy.validateStatusUpdate!({ ...ns, status: { phase: 'Terminating' } }, ns).map(fieldErrorString))
    .toEqual(["status.Phase: Invalid value: \"Terminating\": may only be 'Active' if `deletionTimestamp` is empty"]);
});

test('nodes', () => {
  const node: KObject = { metadata: meta('n1', undefined, { labels: { 'node-role.kubernetes.io/control-plane': '' } }), spec: { unschedulable: true, taints: [{ key: 'k', effect: 'Bad' }] },
    status: { conditions: [{ type: 'Ready', status: 'True' }], addresses: [{ type: 'InternalIP', address: '10.0.0.5' }], nodeInfo: { kubeletVersion: 'v1.32.0' }, capacity: { cpu: '4' } } };
  nodeStrategy.defaults!(node);
  expect(node.status.allocatable).toEqual({ cpu: '4' });
  expect(errs(nodeStrategy, node)).toEqual(['spec.taints[0].effect: Unsupported value: "Bad": supported values: "NoExecute", "NoSchedule", "PreferNoSchedule"']);
  expect(nodeStrategy.tableRow!(node, now)).toEqual(['Ready,SchedulingDisabled', 'control-plane', '2d3h', 'v1.32.0', '10.0.0.5', '<none>', '<unknown>', '<unknown>', '<unknown>']);
  expect(nodeStrategy.tableRow!({ metadata: meta('n2'), status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } }, now).slice(0, 2)).toEqual(['NotReady', '<none>']);
  expect(nodeStrategy.fieldSelectors!['spec.unschedulable'](node)).toBe('true');
  const withCIDR = { ...node, spec: { podCIDRs: ['10.244.1.0/24'] } };
  expect(nodeStrategy.validateUpdate!({ ...node, spec: { podCIDRs: ['10.244.2.0/24'] } }, withCIDR).map(fieldErrorString))
    .toEqual(['spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid']);
});

test('endpoints', () => {
  const ep: KObject = { metadata: meta('web', 'default'), subsets: [{ addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }, { ip: '10.0.0.3' }, { ip: '10.0.0.4' }], ports: [{ port: 80 }] }] };
  endpointsStrategy.defaults!(ep);
  expect(errs(endpointsStrategy, ep)).toEqual([]);
  expect(formatEndpoints(ep)).toBe('10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 1 more...');
  expect(formatEndpoints({ metadata: meta('x') })).toBe('<none>');
  expect(errs(endpointsStrategy, { metadata: meta('web', 'default'), subsets: [{ addresses: [{ ip: 'nope' }], ports: [{ port: 80, protocol: 'TCP' }] }] }))
    .toEqual(['subsets[0].addresses[0].ip: Invalid value: "nope": must be a valid IP address']);
});

test('configmaps', () => {
  const cm: KObject = { metadata: meta('c', 'default'), data: { 'a.txt': 'x', b: 'y' }, binaryData: { bin: 'AAEC' } };
  expect(errs(configMapStrategy, cm)).toEqual([]);
  expect(configMapStrategy.tableRow!(cm, now)).toEqual([3, '2d3h']);
  expect(errs(configMapStrategy, { metadata: meta('c', 'default'), data: { 'bad key': 'x' } })[0]).toMatch(/^data\[bad key\]: Invalid value: "bad key": a valid config key must consist of alphanumeric characters/);
  expect(errs(configMapStrategy, { metadata: meta('c', 'default'), data: { big: 'x'.repeat(1024 * 1024 + 1) } })[0]).toMatch(/^: Too long/);
  const imm = { ...cm, immutable: true };
  expect(configMapStrategy.validateUpdate!({ ...imm, data: { a: 'changed' } }, imm).map(fieldErrorString)).toEqual(['data: Forbidden: field is immutable when `immutable` is set']);
});

test('secrets', () => {
  const s = prep(secretStrategy, { metadata: meta('s', 'default'), stringData: { password: 'hunter2' } });
  expect(s.type).toBe('Opaque');
  expect(s.data).toEqual({ password: Buffer.from('hunter2').toString('base64') });
  expect(s.stringData).toBeUndefined();
  expect(errs(secretStrategy, s)).toEqual([]);
  expect(secretStrategy.tableRow!(s, now)).toEqual(['Opaque', 1, '2d3h']);
  expect(errs(secretStrategy, prep(secretStrategy, { metadata: meta('t', 'default'), type: 'kubernetes.io/tls', data: { 'tls.crt': 'eA==' } })))
    .toEqual(['data[tls.key]: Required value']);
  expect(errs(secretStrategy, prep(secretStrategy, { metadata: meta('t', 'default'), type: 'kubernetes.io/service-account-token' })))
    .toEqual(['metadata.annotations[kubernetes.io/service-account.name]: Required value']);
  expect(errs(secretStrategy, prep(secretStrategy, { metadata: meta('b', 'default'), data: { a: 'not base64!' } }))[0]).toMatch(/^data\[a\]: Invalid value: "<secret contents redacted>": illegal base64 data at input byte 3/);
  expect(secretStrategy.validateUpdate!({ ...s, type: 'x' }, s).map(fieldErrorString)).toEqual(['type: Invalid value: "x": field is immutable']);
  expect(secretStrategy.fieldSelectors!.type(s)).toBe('Opaque');
});

test('serviceaccounts', () => {
  const sa: KObject = { metadata: meta('default', 'default'), secrets: [{ name: 'x' }] };
  expect(errs(serviceAccountStrategy, sa)).toEqual([]);
  expect(serviceAccountStrategy.tableRow!(sa, now)).toEqual([1, '2d3h']);
});

test('events', () => {
  const ev: KObject = { metadata: meta('web.17a', 'default'), involvedObject: { kind: 'Pod', name: 'web', namespace: 'default', fieldPath: 'spec.containers{app}' },
    reason: 'Pulled', message: ' Pulled image ', type: 'Normal', source: { component: 'kubelet', host: 'n1' },
    firstTimestamp: '2024-01-03T02:50:00Z', lastTimestamp: '2024-01-03T02:55:00Z', count: 2 };
  expect(errs(eventStrategy, ev)).toEqual([]);
  expect(errs(eventStrategy, { ...ev, involvedObject: { ...ev.involvedObject, namespace: 'other' } }))
    .toEqual(['involvedObject.namespace: Invalid value: "other": does not match event.namespace']);
  expect(eventStrategy.tableRow!(ev, now)).toEqual(['5m', 'Normal', 'Pulled', 'pod/web', 'spec.containers{app}', 'kubelet, n1', 'Pulled image', '10m', 2, 'web.17a']);
  expect(eventStrategy.tableColumns!.filter(c => !c.priority).map(c => c.name)).toEqual(['Last Seen', 'Type', 'Reason', 'Object', 'Message']);
  const f = eventStrategy.fieldSelectors!;
  expect([f['involvedObject.name'](ev), f['involvedObject.kind'](ev), f.source(ev), f.reason(ev)]).toEqual(['web', 'Pod', 'kubelet', 'Pulled']);
});

test('replicationcontrollers', () => {
  const rc = prep(rcS, { metadata: meta('rc', 'default'), spec: { template: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } } });
  expect(rc.spec.replicas).toBe(1);
  expect(rc.spec.selector).toEqual({ app: 'x' });
  expect(rc.metadata.labels).toEqual({ app: 'x' });
  expect(rc.spec.template.spec.restartPolicy).toBe('Always');
  expect(errs(rcS, rc)).toEqual([]);
  expect(rcS.tableRow!(rc, now)).toEqual([1, 0, 0, '2d3h', 'c', 'nginx', 'app=x']);
  const bad = prep(rcS, { metadata: meta('rc', 'default'), spec: { selector: { app: 'y' }, template: { metadata: { labels: { app: 'x' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'n' }] } } } });
  expect(errs(rcS, bad)).toEqual([
    'spec.template.metadata.labels: Invalid value: {"app":"x"}: `selector` does not match template `labels`',
    'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
  ]);
  expect(rcS.scale!.selector(rc)).toBe('app=x');
  expect(rcS.generationOnSpec).toBe(true);
});

test('persistentvolumes and claims', () => {
  const pv = prep(persistentVolumeStrategy, { metadata: meta('pv1'), spec: { capacity: { storage: '5Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/data' },
    claimRef: { namespace: 'default', name: 'claim' }, storageClassName: 'manual' } });
  expect(pv.spec).toMatchObject({ persistentVolumeReclaimPolicy: 'Retain', volumeMode: 'Filesystem' });
  expect(pv.status.phase).toBe('Pending');
  expect(errs(persistentVolumeStrategy, pv)).toEqual([]);
  expect(persistentVolumeStrategy.tableRow!(pv, now)).toEqual(['5Gi', 'RWO', 'Retain', 'Pending', 'default/claim', 'manual', '<unset>', '', '2d3h', 'Filesystem']);
  expect(errs(persistentVolumeStrategy, prep(persistentVolumeStrategy, { metadata: meta('pv2'), spec: { hostPath: { path: '/x' } } })))
    .toEqual(['spec.accessModes: Required value: must specify at least 1 access mode', 'spec.capacity: Required value']);
  expect(persistentVolumeStrategy.validateUpdate!({ ...pv, spec: { ...pv.spec, hostPath: { path: '/other' } } }, pv).map(fieldErrorString))
    .toEqual(['spec.persistentvolumesource: Forbidden: spec.persistentvolumesource is immutable after creation']);

  const pvc = prep(persistentVolumeClaimStrategy, { metadata: meta('claim', 'default'), spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
  expect(pvc.status).toEqual({ phase: 'Pending' });
  expect(errs(persistentVolumeClaimStrategy, pvc)).toEqual([]);
  expect(persistentVolumeClaimStrategy.tableRow!(pvc, now)).toEqual(['Pending', '', '', '', '', '<unset>', '2d3h', 'Filesystem']);
  const bound = { ...pvc, spec: { ...pvc.spec, volumeName: 'pv1' }, status: { phase: 'Bound', capacity: { storage: '5Gi' }, accessModes: ['ReadWriteOnce'] } };
  expect(persistentVolumeClaimStrategy.tableRow!(bound, now).slice(0, 4)).toEqual(['Bound', 'pv1', '5Gi', 'RWO']);
  expect(persistentVolumeClaimStrategy.validateUpdate!({ ...pvc, spec: { ...pvc.spec, volumeName: 'pv1' } }, pvc)).toEqual([]);
  expect(persistentVolumeClaimStrategy.validateUpdate!({ ...pvc, spec: { ...pvc.spec, accessModes: ['ReadWriteMany'] } }, pvc).map(fieldErrorString))
    .toEqual(['spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims']);
  expect(errs(persistentVolumeClaimStrategy, prep(persistentVolumeClaimStrategy, { metadata: meta('c', 'default'), spec: { accessModes: ['ReadWriteOnce'] } })))
    .toEqual(['spec.resources[storage]: Required value']);
});

test('limitranges, resourcequotas, podtemplates', () => {
  const lr = prep(limitRangeStrategy, { metadata: meta('l', 'default'), spec: { limits: [{ type: 'Container', max: { cpu: '2' }, min: { memory: '64Mi' } }] } });
  expect(lr.spec.limits[0].default).toEqual({ cpu: '2' });
  expect(lr.spec.limits[0].defaultRequest).toEqual({ cpu: '2', memory: '64Mi' });
  expect(errs(limitRangeStrategy, lr)).toEqual([]);
  expect(errs(limitRangeStrategy, { metadata: meta('l', 'default'), spec: { limits: [{ type: 'Thing' }] } }))
    .toEqual(['spec.limits[0].type: Unsupported value: "Thing": supported values: "Container", "PersistentVolumeClaim", "Pod"']);

  const q: KObject = { metadata: meta('q', 'default'), spec: { hard: { pods: '10', 'limits.cpu': '4', 'requests.cpu': '2' } },
    status: { hard: { pods: '10', 'limits.cpu': '4', 'requests.cpu': '2' }, used: { pods: '3', 'requests.cpu': '500m' } } };
  expect(errs(resourceQuotaStrategy, q)).toEqual([]);
  expect(resourceQuotaStrategy.tableRow!(q, now)).toEqual(['pods: 3/10, requests.cpu: 500m/2', 'limits.cpu: 0/4', '2d3h']);
  expect(errs(resourceQuotaStrategy, { metadata: meta('q', 'default'), spec: { hard: { pods: 'lots' } } })[0]).toMatch(/^spec\.hard\[pods\]: Invalid value: "lots": quantities must match/);

  const pt = prep(podTemplateStrategy, { metadata: meta('t', 'default'), template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } });
  expect(pt.template.spec.dnsPolicy).toBe('ClusterFirst');
  expect(errs(podTemplateStrategy, pt)).toEqual([]);
  expect(podTemplateStrategy.tableRow!(pt, now)).toEqual(['c', 'i', 'a=b']);
  expect(errs(podTemplateStrategy, prep(podTemplateStrategy, { metadata: meta('t', 'default'), template: { spec: { containers: [] } } }))).toEqual(['template.spec.containers: Required value']);
});
