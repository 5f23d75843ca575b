// The scheduler cache (upstream backend/cache/cache.go): NodeInfo per node built from the node and pod
// informers, plus "assumed" pods - pods the scheduler has picked a node for whose binding is not yet confirmed by
// the watch. Counting them at once is what lets the next pod be scheduled before the bind round-trip ends.
//
// The scheduling cycle runs synchronously on the event loop, so informer events cannot interleave with it: the
// cycle reads the live NodeInfos and no snapshot copy is needed.
import type { Node, Pod } from 'kubernetes-types/core/v1';
import { NodeInfo } from './nodeinfo';
import { AffinityTerm, newPodInfo, PodInfo, podKey } from './podinfo';

interface PodState { info: PodInfo; nodeName: string; assumed: boolean; bindingFinished: boolean }

export class Cache {
  private readonly nodes = new Map<string, NodeInfo>();
  private readonly podStates = new Map<string, PodState>();
  private list: NodeInfo[] | undefined;
  /** image name -> names of nodes that have it (ImageLocality spreads the score by this). */
  readonly imageNodes = new Map<string, Set<string>>();
  /**
   * Pods grouped by namespace+labels, with how many of each group sit on each node: a term is matched once per
   * group instead of once per pod (InterPodAffinity's counts over the whole cluster).
   */
  readonly labelSets = new Map<string, { sample: PodInfo; perNode: Map<string, number> }>();
  /** Distinct required anti-affinity terms of placed pods, with how many pods carry each on each node. */
  readonly antiTerms = new Map<string, { term: AffinityTerm; perNode: Map<string, number> }>();
  /** Namespace labels for affinity terms with a namespaceSelector. */
  readonly namespaceLabels = new Map<string, Record<string, string>>();

  /** Nodes with a Node object, in a stable order (the order they were added). */
  nodeList(): NodeInfo[] {
    if (!this.list) this.list = [...this.nodes.values()].filter(n => n.node !== undefined);
    return this.list;
  }
  nodeInfo(name: string): NodeInfo | undefined { return this.nodes.get(name); }
  nodeCount(): number { return this.nodeList().length; }

  // ---- nodes ----

  addNode(node: Node): NodeInfo {
    const name = node.metadata!.name!;
    let ni = this.nodes.get(name);
    if (ni) this.removeImages(ni);
    if (!ni) { ni = new NodeInfo(name); this.nodes.set(name, ni); }
    const hadNode = ni.node !== undefined;
    ni.setNode(node);
    this.addImages(ni);
    if (!hadNode) this.list = undefined;
    return ni;
  }
  updateNode(_old: Node, node: Node): NodeInfo { return this.addNode(node); }

  removeNode(node: Node): void {
    const name = node.metadata!.name!;
    const ni = this.nodes.get(name);
    if (!ni) return;
    this.removeImages(ni);
    // pods still bound to it stay counted on a node-less NodeInfo until their deletes arrive (as upstream)
    if (ni.pods.size === 0) this.nodes.delete(name);
    else ni.node = undefined;
    this.list = undefined;
  }

  private addImages(ni: NodeInfo) {
    for (const img of ni.images.keys()) {
      let s = this.imageNodes.get(img);
      if (!s) this.imageNodes.set(img, s = new Set());
      s.add(ni.name);
    }
  }
  private removeImages(ni: NodeInfo) {
    for (const img of ni.images.keys()) {
      const s = this.imageNodes.get(img);
      s?.delete(ni.name);
      if (s?.size === 0) this.imageNodes.delete(img);
    }
  }

  // ---- pods ----

  private nodeFor(name: string): NodeInfo {
    let ni = this.nodes.get(name);
    if (!ni) { ni = new NodeInfo(name); this.nodes.set(name, ni); }
    return ni;
  }

  private place(info: PodInfo, nodeName: string, assumed: boolean) {
    this.nodeFor(nodeName).addPod(info);
    this.podStates.set(info.key, { info, nodeName, assumed, bindingFinished: false });
    this.index(info, nodeName, 1);
  }

  private index(info: PodInfo, nodeName: string, by: number) {
    const bumpNode = (perNode: Map<string, number>) => {
      const n = (perNode.get(nodeName) ?? 0) + by;
      if (n > 0) perNode.set(nodeName, n); else perNode.delete(nodeName);
    };
    let set = this.labelSets.get(info.labelsSig);
    if (!set) this.labelSets.set(info.labelsSig, set = { sample: info, perNode: new Map() });
    bumpNode(set.perNode);
    if (set.perNode.size === 0) this.labelSets.delete(info.labelsSig);
    for (const t of info.requiredAntiAffinity) {
      let e = this.antiTerms.get(t.sig);
      if (!e) this.antiTerms.set(t.sig, e = { term: t, perNode: new Map() });
      bumpNode(e.perNode);
      if (e.perNode.size === 0) this.antiTerms.delete(t.sig);
    }
  }

  private unplace(key: string) {
    const st = this.podStates.get(key);
    if (!st) return;
    const ni = this.nodes.get(st.nodeName);
    ni?.removePod(key);
    this.index(st.info, st.nodeName, -1);
    if (ni && !ni.node && ni.pods.size === 0) this.nodes.delete(st.nodeName);
    this.podStates.delete(key);
  }

  /** Counts `info`'s pod on `nodeName` before the apiserver has confirmed the binding. */
  assumePod(info: PodInfo, nodeName: string): void {
    if (this.podStates.has(info.key)) throw new Error(`pod ${info.key} is already in the cache, cannot be assumed`);
    const pod: Pod = { ...info.pod, spec: { ...info.pod.spec!, nodeName } };
    this.place({ ...info, pod }, nodeName, true);
  }

  finishBinding(key: string): void {
    const st = this.podStates.get(key);
    if (st?.assumed) st.bindingFinished = true;
  }

  /** Drops an assumed pod whose binding failed. */
  forgetPod(key: string): void {
    const st = this.podStates.get(key);
    if (st?.assumed) this.unplace(key);
  }

  isAssumed(key: string): boolean { return this.podStates.get(key)?.assumed === true; }
  assumedCount(): number { let n = 0; for (const s of this.podStates.values()) if (s.assumed) n++; return n; }

  /** An assigned pod seen by the informer: confirms an assumed pod or adds a new one. */
  addPod(pod: Pod): void {
    const key = podKey(pod);
    const info = newPodInfo(pod);
    // confirmation replaces the assumed copy (on the node the apiserver says, which wins if they differ)
    this.unplace(key);
    this.place(info, pod.spec!.nodeName!, false);
  }

  updatePod(_old: Pod, pod: Pod): void { this.addPod(pod); }

  removePod(pod: Pod): void { this.unplace(podKey(pod)); }

  hasPod(key: string): boolean { return this.podStates.has(key); }
  podCount(): number { return this.podStates.size; }
}
