// Hollow nodes: Node objects with capacity, labels, taints and a Ready condition but no kubelet behind them
// (what scheduler_perf registers). Used by the e2e tests and the bench.
import type { Node, Taint } from 'kubernetes-types/core/v1';

export interface HollowNodeSpec {
  cpu?: string; memory?: string; pods?: string;
  labels?: Record<string, string>;
  taints?: Taint[];
  unschedulable?: boolean;
  images?: { names: string[]; sizeBytes: number }[];
  extended?: Record<string, string>;
}

export function hollowNode(name: string, s: HollowNodeSpec = {}): Node {
  const resources = { cpu: s.cpu ?? '4', memory: s.memory ?? '16Gi', pods: s.pods ?? '110', ...(s.extended ?? {}) };
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    apiVersion: 'v1', kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', ...(s.labels ?? {}) } },
    spec: { taints: s.taints, unschedulable: s.unschedulable || undefined },
    status: {
      capacity: resources, allocatable: resources,
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'hollow node', lastHeartbeatTime: now, lastTransitionTime: now }],
      images: s.images,
      nodeInfo: { kubeletVersion: 'v1.32.0-hollow', architecture: 'amd64', operatingSystem: 'linux', bootID: '', containerRuntimeVersion: '', kernelVersion: '', kubeProxyVersion: '', machineID: '', osImage: '', systemUUID: '' },
    },
  };
}
