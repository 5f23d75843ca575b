import { fieldErrorString, StatusError } from '@mk8s/apimachinery';
import type { KObject } from '../strategy';
import { ServiceIPAllocator } from './allocator';
import { makeServiceStrategy, serviceRow } from './services';

const now = new Date('2024-01-01T00:05:00Z');
const svc = (name: string, spec: any, ns = 'default'): KObject =>
  ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns, creationTimestamp: '2024-01-01T00:00:00Z' }, spec });

describe('ServiceIPAllocator', () => {
  test('sequential dynamic allocation from the upper band, requested IPs in the lower band', async () => {
    const a = new ServiceIPAllocator({ listServices: async () => [] });
    expect(a.firstIP()).toBe('10.96.0.1');
    expect(await a.allocateClusterIP()).toBe('10.96.1.1');
    expect(await a.allocateClusterIP()).toBe('10.96.1.2');
    expect(await a.allocateClusterIP('10.96.0.10')).toBe('10.96.0.10');
    await expect(a.allocateClusterIP('10.96.0.10')).rejects.toThrow('provided IP is already allocated');
    await expect(a.allocateClusterIP('10.200.0.1')).rejects.toThrow('the provided IP (10.200.0.1) is not in the valid range. The range of valid IPs is 10.96.0.0/12');
    a.releaseClusterIP('10.96.0.10');
    expect(await a.allocateClusterIP('10.96.0.10')).toBe('10.96.0.10');
  });
  test('seeded from stored services', async () => {
    const stored = [svc('a', { clusterIP: '10.96.1.1', clusterIPs: ['10.96.1.1'], ports: [{ port: 80, nodePort: 30000 }] })];
    const a = new ServiceIPAllocator({ listServices: async () => stored });
    expect(await a.allocateClusterIP()).toBe('10.96.1.2');
    await expect(a.allocateNodePort(30000)).rejects.toThrow('provided port is already allocated');
    await expect(a.allocateNodePort(80)).rejects.toThrow('provided port is not in the valid range. The range of valid ports is 30000-32767');
  });
  test('exhaustion falls back to the lower band, then reports full', async () => {
    const a = new ServiceIPAllocator({ listServices: async () => [], serviceCIDR: '10.0.0.0/28', nodePortRange: '30000-30001' });
    const got = new Set<string>();
    for (let i = 0; i < 14; i++) got.add(await a.allocateClusterIP());
    expect(got.size).toBe(14);
    await expect(a.allocateClusterIP()).rejects.toThrow('range is full');
    expect(await a.allocateNodePort()).toBeGreaterThanOrEqual(30000);
    expect(await a.allocateNodePort()).toBeGreaterThanOrEqual(30000);
    await expect(a.allocateNodePort()).rejects.toThrow('range is full');
  });
  test('rejects a bad range', () => {
    expect(() => new ServiceIPAllocator({ listServices: async () => [], serviceCIDR: 'nope' })).toThrow(/invalid service cluster IP range/);
  });
});

describe('service strategy', () => {
  const make = (stored: KObject[] = []) => {
    const allocator = new ServiceIPAllocator({ listServices: async () => stored });
    return { allocator, s: makeServiceStrategy({ allocator }) };
  };
  const create = async (s: ReturnType<typeof makeServiceStrategy>, o: KObject) => {
    s.defaults!(o);
    await s.prepareForCreate!(o);
    return o;
  };

  test('defaults and ClusterIP allocation; default/kubernetes gets the first IP', async () => {
    const { s } = make();
    const k = await create(s, svc('kubernetes', { ports: [{ name: 'https', port: 443, targetPort: 6443 }] }));
    expect(k.spec.clusterIP).toBe('10.96.0.1');
    const o = await create(s, svc('web', { selector: { app: 'web' }, ports: [{ port: 80 }] }));
    expect(o.spec).toMatchObject({ type: 'ClusterIP', sessionAffinity: 'None', internalTrafficPolicy: 'Cluster', ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack', clusterIP: '10.96.1.1', clusterIPs: ['10.96.1.1'] });
    expect(o.spec.ports[0]).toEqual({ port: 80, protocol: 'TCP', targetPort: 80 });
    expect(o.status).toEqual({ loadBalancer: {} });
    expect(s.validate(o)).toEqual([]);
    expect(serviceRow(o, now)).toEqual(['ClusterIP', '10.96.1.1', '<none>', '80/TCP', '5m', 'app=web']);
  });
  test('NodePort allocation, requested port conflicts as 422', async () => {
    const { s } = make();
    const np = await create(s, svc('np', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }));
    expect(np.spec.externalTrafficPolicy).toBe('Cluster');
    expect(serviceRow(np, now)[3]).toBe('80:30080/TCP');
    const err = await create(s, svc('np2', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] })).catch(e => e);
    expect(err).toBeInstanceOf(StatusError);
    expect(err.code).toBe(422);
    expect(err.message).toBe('Service "np2" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated');
    const dyn = await create(s, svc('np3', { type: 'NodePort', ports: [{ port: 81 }] }));
    expect(dyn.spec.ports[0].nodePort).toBeGreaterThanOrEqual(30000);
  });
  test('requested clusterIP already taken', async () => {
    const { s } = make([svc('old', { clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], ports: [{ port: 53 }] }, 'kube-system')]);
    const err = await create(s, svc('dns', { clusterIP: '10.96.0.10', ports: [{ port: 53 }] })).catch(e => e);
    expect(err.code).toBe(422);
    expect(err.message).toContain('spec.clusterIPs: Invalid value: ["10.96.0.10"]: failed to allocate IP 10.96.0.10: provided IP is already allocated');
  });
  test('headless and ExternalName get no IP; LoadBalancer shows <pending>', async () => {
    const { s } = make();
    const h = await create(s, svc('h', { clusterIP: 'None', selector: { a: 'b' } }));
    expect(h.spec.clusterIPs).toEqual(['None']);
    expect(s.validate(h)).toEqual([]);
    const e = await create(s, svc('e', { type: 'ExternalName', externalName: 'example.com' }));
    expect(e.spec.clusterIP).toBeUndefined();
    expect(serviceRow(e, now).slice(0, 4)).toEqual(['ExternalName', '<none>', 'example.com', '<none>']);
    const lb = await create(s, svc('lb', { type: 'LoadBalancer', ports: [{ port: 80 }] }));
    expect(serviceRow(lb, now)[2]).toBe('<pending>');
  });
  test('validation errors', () => {
    const { s } = make();
    const o = svc('Bad_Name', { type: 'Weird', ports: [{ port: 0, name: 'a' }, { port: 80, name: 'a' }] });
    s.defaults!(o);
    const errs = s.validate(o).map(fieldErrorString);
    expect(errs).toEqual(expect.arrayContaining([
      expect.stringMatching(/^metadata\.name: Invalid value: "Bad_Name": a DNS-1035 label must consist of lower case/),
      'spec.type: Unsupported value: "Weird": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
      'spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive',
      'spec.ports[1].name: Duplicate value: "a"',
    ]));
    const cip = svc('c', { ports: [{ port: 80, nodePort: 30001 }] });
    s.defaults!(cip);
    expect(s.validate(cip).map(fieldErrorString)).toEqual(["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"]);
  });
  test('updates keep allocated values, reject clusterIP changes, release on type change and delete', async () => {
    const { s, allocator } = make();
    const old = await create(s, svc('np', { type: 'NodePort', ports: [{ port: 80 }] }));
    const port = old.spec.ports[0].nodePort;
    // kubectl apply of the original manifest: no clusterIP, no nodePort.
    const upd = svc('np', { type: 'NodePort', ports: [{ port: 80 }] });
    s.defaults!(upd);
    s.prepareForUpdate!(upd, old);
    expect(upd.spec.clusterIP).toBe(old.spec.clusterIP);
    expect(upd.spec.ports[0].nodePort).toBe(port);
    expect(s.validateUpdate!(upd, old)).toEqual([]);
    const moved = svc('np', { type: 'NodePort', clusterIP: '10.96.5.5', ports: [{ port: 80 }] });
    s.defaults!(moved);
    s.prepareForUpdate!(moved, old);
    expect(s.validateUpdate!(moved, old).map(fieldErrorString)).toEqual(['spec.clusterIPs[0]: Invalid value: ["10.96.5.5"]: may not change once set']);
    const toCluster = svc('np', { type: 'ClusterIP', ports: [{ port: 80, nodePort: port }] });
    s.defaults!(toCluster);
    s.prepareForUpdate!(toCluster, old);
    expect(toCluster.spec.ports[0].nodePort).toBeUndefined();
    expect(allocator.isNodePortAllocated(port)).toBe(false);
    s.afterDelete!(toCluster);
    expect(allocator.isIPAllocated(old.spec.clusterIP)).toBe(false);
  });
});
