import type { Pod } from 'kubernetes-types/core/v1';
import { Cache } from './cache';
import { hollowNode } from './hollow';
import { newPodInfo } from './podinfo';

const pod = (name: string, cpu: string, nodeName?: string, extra: Record<string, unknown> = {}): Pod => ({
  metadata: { name, namespace: 'default', uid: name, labels: { app: 'x' } },
  spec: { nodeName, containers: [{ name: 'c', resources: { requests: { cpu } }, ...extra }] },
});

describe('Cache', () => {
  it('counts an assumed pod at once, confirms it when the informer reports the binding', () => {
    const c = new Cache();
    c.addNode(hollowNode('n1', { cpu: '2' }));
    c.assumePod(newPodInfo(pod('p', '500m')), 'n1');
    expect(c.nodeInfo('n1')!.requested.milliCPU).toBe(500);
    expect(c.isAssumed('p')).toBe(true);
    c.addPod(pod('p', '500m', 'n1'));
    expect(c.isAssumed('p')).toBe(false);
    expect(c.nodeInfo('n1')!.requested.milliCPU).toBe(500); // replaced, not counted twice
    expect(c.nodeInfo('n1')!.pods.size).toBe(1);
  });

  it('forgets an assumed pod whose binding failed', () => {
    const c = new Cache();
    c.addNode(hollowNode('n1'));
    c.assumePod(newPodInfo(pod('p', '1')), 'n1');
    c.forgetPod('p');
    expect(c.nodeInfo('n1')!.requested.milliCPU).toBe(0);
    expect(c.hasPod('p')).toBe(false);
    expect(() => { c.assumePod(newPodInfo(pod('q', '1')), 'n1'); c.assumePod(newPodInfo(pod('q', '1')), 'n1'); }).toThrow(/already in the cache/);
  });

  it('the apiserver node wins when the confirmed node differs from the assumed one', () => {
    const c = new Cache();
    c.addNode(hollowNode('a')); c.addNode(hollowNode('b'));
    c.assumePod(newPodInfo(pod('p', '1')), 'a');
    c.addPod(pod('p', '1', 'b'));
    expect(c.nodeInfo('a')!.pods.size).toBe(0);
    expect(c.nodeInfo('b')!.pods.size).toBe(1);
  });

  it('keeps pods of a deleted node until they are deleted; such nodes are not schedulable', () => {
    const c = new Cache();
    const n = hollowNode('gone');
    c.addNode(n);
    c.addPod(pod('p', '1', 'gone'));
    c.removeNode(n);
    expect(c.nodeList()).toHaveLength(0);
    expect(c.nodeInfo('gone')!.pods.size).toBe(1);
    c.removePod(pod('p', '1', 'gone'));
    expect(c.nodeInfo('gone')).toBeUndefined();
  });

  it('pods seen before their node are kept and counted when it arrives', () => {
    const c = new Cache();
    c.addPod(pod('early', '300m', 'late'));
    expect(c.nodeList()).toHaveLength(0);
    c.addNode(hollowNode('late'));
    expect(c.nodeList()[0].requested.milliCPU).toBe(300);
  });

  it('tracks host ports, non-zero requests, images and the label-set/anti-affinity indexes', () => {
    const c = new Cache();
    c.addNode(hollowNode('n', { images: [{ names: ['nginx'], sizeBytes: 100 }] }));
    expect(c.imageNodes.get('nginx:latest')?.has('n')).toBe(true);
    const withPort = pod('web', '0', 'n', { ports: [{ containerPort: 80, hostPort: 8080, hostIP: '10.0.0.1' }] });
    delete withPort.spec!.containers[0].resources;
    c.addPod(withPort);
    const ni = c.nodeInfo('n')!;
    expect(ni.portInUse({ protocol: 'TCP', hostIP: '10.0.0.1', hostPort: 8080 })).toBe(true);
    expect(ni.portInUse({ protocol: 'TCP', hostIP: '0.0.0.0', hostPort: 8080 })).toBe(true);
    expect(ni.portInUse({ protocol: 'TCP', hostIP: '10.0.0.2', hostPort: 8080 })).toBe(false);
    expect(ni.portInUse({ protocol: 'UDP', hostIP: '10.0.0.1', hostPort: 8080 })).toBe(false);
    expect(ni.nonZeroCPU).toBe(100);
    expect(ni.nonZeroMemory).toBe(200 * 1024 * 1024);
    const anti = pod('db', '1', 'n');
    anti.spec!.affinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'x' } } }] } };
    c.addPod(anti);
    expect([...c.antiTerms.values()][0].perNode.get('n')).toBe(1);
    expect(c.labelSets.size).toBe(1);
    expect([...c.labelSets.values()][0].perNode.get('n')).toBe(2);
    c.removePod(anti);
    expect(c.antiTerms.size).toBe(0);
    c.removePod(withPort);
    expect(ni.usedPorts.size).toBe(0);
    expect(c.labelSets.size).toBe(0);
  });
});
