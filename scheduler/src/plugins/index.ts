// The in-tree plugin registry and the default plugin set with upstream's score weights
// (apis/config/v1/default_plugins.go).
import type { Handle, Plugin } from '../framework';
import { balancedAllocation } from './balancedallocation';
import { defaultPreemption } from './defaultpreemption';
import { imageLocality } from './imagelocality';
import { interPodAffinity } from './interpodaffinity';
import { nodeAffinity } from './nodeaffinity';
import { nodeName } from './nodename';
import { nodePorts } from './nodeports';
import { nodeResourcesFit } from './noderesourcesfit';
import { nodeUnschedulable } from './nodeunschedulable';
import { podTopologySpread } from './podtopologyspread';
import { prioritySort } from './prioritysort';
import { schedulingGates } from './schedulinggates';
import { tainttoleration } from './tainttoleration';

export type Factory = (args: any, handle: Handle) => Plugin;

export const registry: Record<string, Factory> = {
  SchedulingGates: schedulingGates,
  PrioritySort: prioritySort,
  NodeUnschedulable: nodeUnschedulable,
  NodeName: nodeName,
  TaintToleration: tainttoleration,
  NodeAffinity: nodeAffinity,
  NodePorts: nodePorts,
  NodeResourcesFit: nodeResourcesFit,
  PodTopologySpread: podTopologySpread,
  InterPodAffinity: interPodAffinity,
  DefaultPreemption: defaultPreemption,
  NodeResourcesBalancedAllocation: balancedAllocation,
  ImageLocality: imageLocality,
};

/** MultiPoint defaults in upstream order; weight applies where the plugin scores. DefaultBinder is built in. */
export const DEFAULT_PLUGINS: { name: string; weight?: number }[] = [
  { name: 'SchedulingGates' },
  { name: 'PrioritySort' },
  { name: 'NodeUnschedulable' },
  { name: 'NodeName' },
  { name: 'TaintToleration', weight: 3 },
  { name: 'NodeAffinity', weight: 2 },
  { name: 'NodePorts' },
  { name: 'NodeResourcesFit', weight: 1 },
  { name: 'PodTopologySpread', weight: 2 },
  { name: 'InterPodAffinity', weight: 2 },
  { name: 'DefaultPreemption' },
  { name: 'NodeResourcesBalancedAllocation', weight: 1 },
  { name: 'ImageLocality', weight: 1 },
];
