// One client for every component and tool, over either transport (gRPC for components, HTTP for humans'
// tools). Typed by the caller (`kubernetes-types` or our own shapes); list/watch feed informers.
import fs from 'node:fs';
import YAML from 'yaml';
import { errors } from '../api/errors';
import type { Transport, Target } from './transport';
import { HttpTransport } from './transport';
import { GrpcTransport } from './grpctransport';
import type { ListWatcher, ListOptions, ListResult, WatchOptions, WatchEvent } from './reflector';

/** A resource: group/version/plural, e.g. { group: 'apps', version: 'v1', resource: 'deployments' }. */
export interface Resource { group: string; version: string; resource: string }

export const resources = {
  pods: { group: '', version: 'v1', resource: 'pods' },
  nodes: { group: '', version: 'v1', resource: 'nodes' },
  namespaces: { group: '', version: 'v1', resource: 'namespaces' },
  services: { group: '', version: 'v1', resource: 'services' },
  endpoints: { group: '', version: 'v1', resource: 'endpoints' },
  configmaps: { group: '', version: 'v1', resource: 'configmaps' },
  secrets: { group: '', version: 'v1', resource: 'secrets' },
  events: { group: '', version: 'v1', resource: 'events' },
  serviceaccounts: { group: '', version: 'v1', resource: 'serviceaccounts' },
  deployments: { group: 'apps', version: 'v1', resource: 'deployments' },
  replicasets: { group: 'apps', version: 'v1', resource: 'replicasets' },
  leases: { group: 'coordination.k8s.io', version: 'v1', resource: 'leases' },
  endpointslices: { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices' },
} satisfies Record<string, Resource>;

export interface ListQuery { labelSelector?: string; fieldSelector?: string; limit?: number; continue?: string; resourceVersion?: string; resourceVersionMatch?: string }
export interface WriteQuery { dryRun?: boolean; fieldManager?: string; fieldValidation?: 'Strict' | 'Warn' | 'Ignore' }
export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';
const PATCH_CT: Record<PatchType, string> = {
  json: 'application/json-patch+json', merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json', apply: 'application/apply-patch+yaml',
};

export interface KList<T> { apiVersion?: string; kind?: string; metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number }; items: T[] }

const wq = (w?: WriteQuery) => ({ dryRun: w?.dryRun ? 'All' : undefined, fieldManager: w?.fieldManager, fieldValidation: w?.fieldValidation });
const lq = (l?: ListQuery) => ({ labelSelector: l?.labelSelector, fieldSelector: l?.fieldSelector, limit: l?.limit ? String(l.limit) : undefined, continue: l?.continue, resourceVersion: l?.resourceVersion, resourceVersionMatch: l?.resourceVersionMatch });

export class KubeClient {
  constructor(readonly transport: Transport) {}

  private t(r: Resource, namespace?: string, name?: string, subresource?: string): Target {
    return { ...r, namespace, name, subresource };
  }

  async get<T = any>(r: Resource, namespace: string | undefined, name: string): Promise<T> {
    return (await this.transport.request('GET', this.t(r, namespace, name), {})).body;
  }
  async list<T = any>(r: Resource, namespace?: string, q?: ListQuery): Promise<KList<T>> {
    return (await this.transport.request('GET', this.t(r, namespace), lq(q))).body;
  }
  async create<T = any>(r: Resource, namespace: string | undefined, obj: T, q?: WriteQuery): Promise<T> {
    return (await this.transport.request('POST', this.t(r, namespace), wq(q), obj)).body;
  }
  async update<T extends { metadata?: { name?: string } }>(r: Resource, namespace: string | undefined, obj: T, q?: WriteQuery): Promise<T> {
    return (await this.transport.request('PUT', this.t(r, namespace, obj.metadata?.name), wq(q), obj)).body;
  }
  async updateStatus<T extends { metadata?: { name?: string } }>(r: Resource, namespace: string | undefined, obj: T, q?: WriteQuery): Promise<T> {
    return (await this.transport.request('PUT', this.t(r, namespace, obj.metadata?.name, 'status'), wq(q), obj)).body;
  }
  async patch<T = any>(r: Resource, namespace: string | undefined, name: string, type: PatchType, patch: unknown,
                       q?: WriteQuery & { force?: boolean; subresource?: string }): Promise<T> {
    const body = type === 'apply' && typeof patch !== 'string' ? JSON.stringify(patch) : patch;
    return (await this.transport.request('PATCH', this.t(r, namespace, name, q?.subresource), { ...wq(q), force: q?.force ? 'true' : undefined }, body, PATCH_CT[type])).body;
  }
  async delete<T = any>(r: Resource, namespace: string | undefined, name: string,
                        opts?: { gracePeriodSeconds?: number; propagationPolicy?: string; preconditions?: { uid?: string; resourceVersion?: string }; dryRun?: boolean }): Promise<T> {
    const body = opts ? { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: opts.gracePeriodSeconds, propagationPolicy: opts.propagationPolicy, preconditions: opts.preconditions, dryRun: opts.dryRun ? ['All'] : undefined } : undefined;
    return (await this.transport.request('DELETE', this.t(r, namespace, name), {}, body)).body;
  }
  async deleteCollection(r: Resource, namespace: string | undefined, q?: ListQuery): Promise<unknown> {
    return (await this.transport.request('DELETE', this.t(r, namespace), lq(q))).body;
  }
  /** pods/binding: what the scheduler writes. */
  async bind(namespace: string, pod: string, node: string, uid?: string): Promise<unknown> {
    return (await this.transport.request('POST', this.t(resources.pods, namespace, pod, 'binding'), {}, {
      apiVersion: 'v1', kind: 'Binding', metadata: { name: pod, namespace, uid }, target: { apiVersion: 'v1', kind: 'Node', name: node },
    })).body;
  }
  async createSubresource<T = any>(r: Resource, namespace: string | undefined, name: string, subresource: string, obj: unknown): Promise<T> {
    return (await this.transport.request('POST', this.t(r, namespace, name, subresource), {}, obj)).body;
  }
  watch(r: Resource, namespace: string | undefined, q: ListQuery & { allowWatchBookmarks?: boolean; timeoutSeconds?: number; name?: string },
        onEvent: (ev: WatchEvent) => void, onClose: (err?: Error) => void) {
    return this.transport.watch(this.t(r, namespace, q.name), {
      ...lq(q), allowWatchBookmarks: q.allowWatchBookmarks ? 'true' : undefined, timeoutSeconds: q.timeoutSeconds ? String(q.timeoutSeconds) : undefined,
    }, ev => onEvent(ev as WatchEvent), onClose);
  }

  /** The list/watch source an informer runs on, for a resource (optionally one namespace, filtered by selectors). */
  listWatcher<T = any>(r: Resource, namespace?: string, selectors: { labelSelector?: string; fieldSelector?: string } = {}): ListWatcher<T> {
    return {
      list: async (o: ListOptions): Promise<ListResult<T>> => {
        const l = await this.list<T>(r, namespace, { ...selectors, limit: o.limit, continue: o.continue, resourceVersion: o.continue ? undefined : o.resourceVersion });
        return { items: l.items, resourceVersion: l.metadata.resourceVersion, continue: l.metadata.continue };
      },
      watch: (o: WatchOptions, onEvent, onClose) => this.watch(r, namespace, {
        ...selectors, resourceVersion: o.resourceVersion, allowWatchBookmarks: o.allowWatchBookmarks, timeoutSeconds: o.timeoutSeconds,
      }, onEvent, onClose),
    };
  }

  close() { this.transport.close(); }
}

/** What a component needs from a kubeconfig: the REST server and, for components, the gRPC address. */
export interface ClientConfig { server: string; grpcServer?: string }

/**
 * Reads a kubeconfig (current context). The gRPC address comes from the cluster's `mk8s.io/grpc` extension
 * (`extension: { server: host:port }`), else MK8S_GRPC_SERVER, else the REST host with port 6444.
 */
export function loadKubeconfig(path: string): ClientConfig {
  let doc: any;
  try { doc = YAML.parse(fs.readFileSync(path, 'utf8')); } catch (e) {
    throw errors.badRequest(`cannot read kubeconfig ${path}: ${(e as Error).message}`);
  }
  const ctxName = doc?.['current-context'];
  const ctx = (doc?.contexts ?? []).find((c: any) => c.name === ctxName)?.context ?? doc?.contexts?.[0]?.context;
  const cluster = (doc?.clusters ?? []).find((c: any) => c.name === ctx?.cluster)?.cluster ?? doc?.clusters?.[0]?.cluster;
  if (!cluster?.server) throw errors.badRequest(`kubeconfig ${path}: no cluster server for context ${JSON.stringify(ctxName)}`);
  const ext = (cluster.extensions ?? []).find((e: any) => e.name === 'mk8s.io/grpc')?.extension?.server;
  const u = new URL(cluster.server);
  return { server: cluster.server, grpcServer: ext ?? process.env.MK8S_GRPC_SERVER ?? `${u.hostname}:6444` };
}

export function httpClient(server: string, userAgent?: string): KubeClient { return new KubeClient(new HttpTransport(server, userAgent)); }
export function grpcClient(address: string, userAgent?: string): KubeClient { return new KubeClient(new GrpcTransport(address, userAgent)); }
/** The client a component uses: gRPC unless MK8S_TRANSPORT=http. */
export function clientFromKubeconfig(path: string, userAgent: string, transport = process.env.MK8S_TRANSPORT ?? 'grpc'): KubeClient {
  const c = loadKubeconfig(path);
  return transport === 'http' ? httpClient(c.server, userAgent) : grpcClient(c.grpcServer!, userAgent);
}
