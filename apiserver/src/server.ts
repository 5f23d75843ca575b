// The apiserver process: storage, registry, admission, HTTP (and later gRPC) transports, bootstrap objects,
// periodic etcd compaction.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { StatusError, createLogger, Logger, grpcwire } from '@mk8s/apimachinery';
import { EtcdStore } from './storage/etcd';
import { GenericStore } from './registry/store';
import { Registry } from './registry/registry';
import { buildStrategies } from './registry';
import { admissionChain } from './admission';
import { createHandler } from './endpoints/handler';
import { createMetrics } from './metrics';
import { bootstrapObjects } from './bootstrap';
import { createGrpcServer } from './grpc/server';
import { setSigningKey } from './endpoints/token';

export interface ServerOptions {
  etcdServers: string[];
  etcdPrefix: string;
  bindAddress: string;
  port: number;
  /** gRPC port for the components (0 = any free port, -1 = off). */
  grpcPort: number;
  serviceClusterIPRange: string;
  serviceNodePortRange: string;
  compactionIntervalMs: number;
  watchCacheSize?: number;
  logFormat?: string;
  /** PEM private key for service-account tokens; created there when missing; absent = a key per start. */
  serviceAccountSigningKeyFile?: string;
}

export const VERSION = {
  major: '1', minor: '32', gitVersion: 'v1.32.0-mk8s', gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean', buildDate: '2026-12-01T00:00:00Z', goVersion: 'go1.23.0', compiler: 'gc', platform: 'linux/amd64',
};

export class ApiServer {
  readonly log: Logger;
  readonly etcd: EtcdStore;
  readonly registry = new Registry();
  readonly metrics = createMetrics();
  private http?: http.Server;
  private grpc?: grpcwire.GrpcServer;
  grpcBoundPort = 0;
  private compactTimer?: NodeJS.Timeout;

  constructor(readonly opts: ServerOptions) {
    this.log = createLogger('apiserver', opts.logFormat);
    this.etcd = new EtcdStore(opts.etcdServers);
    this.etcd.observe = (op, s) => this.metrics.observeEtcd(op, s);
    const admission = admissionChain({ registry: this.registry });
    const strategies = buildStrategies({
      listObjects: async (group, resource) => (await this.registry.preferred(group, resource)!.list(undefined)).items,
      serviceClusterIPRange: opts.serviceClusterIPRange, serviceNodePortRange: opts.serviceNodePortRange,
    });
    for (const s of strategies) this.registry.add(new GenericStore(s, this.etcd, opts.etcdPrefix, admission, this.log, opts.watchCacheSize));
  }

  private warmedUp = false;

  /** Why the server is not ready: etcd does not answer, or the bootstrap objects and caches are not there yet. */
  async notReady(): Promise<string | undefined> {
    try { await this.etcd.currentRevision(); } catch (e) { return (e as Error).message; }
    return this.warmedUp ? undefined : 'bootstrap objects and watch caches are not ready yet';
  }

  async start(): Promise<void> {
    setSigningKey(this.opts.serviceAccountSigningKeyFile);
    let openapi: ((req: http.IncomingMessage, res: http.ServerResponse) => boolean) | undefined;
    try {
      const mod = require('./openapi');
      openapi = mod.openapiHandler?.(this.registry.infos());
    } catch (e) {
      if ((e as any)?.code !== 'MODULE_NOT_FOUND') throw e;
    }
    const handlerCtx = {
      registry: this.registry, version: VERSION,
      ready: () => this.notReady(),
      metricsText: () => this.metrics.registry.metrics(), metricsContentType: this.metrics.registry.contentType,
      watchMetrics: this.metrics.watch, openapi,
      observe: (v: string, r: string, c: number, s: number) => this.metrics.observeRequest(v, r, c, s),
    };
    const handler = createHandler(handlerCtx);
    const server = http.createServer({ keepAlive: true, requestTimeout: 0, headersTimeout: 60_000 }, (req, res) => { void handler(req, res); });
    // Upgrades (exec/attach/portforward streams) go through the same handler with a response bound to the socket.
    server.on('upgrade', (req, socket) => {
      const res = new http.ServerResponse(req);
      res.assignSocket(socket as any);
      void handler(req, res);
    });
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(this.opts.port, this.opts.bindAddress, () => resolve()); });
    this.http = server;
    this.log.info('serving HTTP', { address: `${this.opts.bindAddress}:${(server.address() as AddressInfo).port}` });
    if (this.opts.grpcPort >= 0) {
      const g = createGrpcServer(handlerCtx, this.log);
      this.grpcBoundPort = await g.listen(this.opts.grpcPort, this.opts.bindAddress);
      this.grpc = g;
      this.log.info('serving gRPC', { address: `${this.opts.bindAddress}:${this.grpcBoundPort}` });
    }
    // Bootstrap and caches come up in the background so /readyz reports etcd trouble instead of failing start.
    void this.warmUp();
    if (this.opts.compactionIntervalMs > 0) this.scheduleCompaction();
  }

  get port(): number { return (this.http!.address() as AddressInfo).port; }

  private async warmUp() {
    for (let attempt = 0; ; attempt++) {
      try {
        await bootstrapObjects(this.registry, this.log, { port: this.port });
        break;
      } catch (e) {
        this.log.warn('bootstrap failed, retrying', { error: (e as Error).message });
        await new Promise(r => setTimeout(r, Math.min(500 * 2 ** attempt, 5000)));
      }
    }
    await Promise.all(this.registry.stores.map(s => s.cache.ready()));
    this.warmedUp = true;
    this.log.info('watch caches ready', { resources: this.registry.stores.length });
  }

  /** Compact etcd to the revision seen one interval ago, so watches can resume within the last interval. */
  private scheduleCompaction() {
    let previous = 0;
    this.compactTimer = setInterval(async () => {
      try {
        const now = await this.etcd.currentRevision();
        if (previous > 0) {
          await this.etcd.compact(previous);
          for (const s of this.registry.stores) s.cache.compacted(previous);
          this.log.info('compacted etcd', { revision: previous });
        }
        previous = now;
      } catch (e) {
        if (!(e instanceof StatusError)) this.log.warn('compaction failed', { error: (e as Error).message });
      }
    }, this.opts.compactionIntervalMs);
    this.compactTimer.unref();
  }

  async stop() {
    clearInterval(this.compactTimer);
    this.grpc?.forceClose();
    await Promise.all(this.registry.stores.map(s => s.cache.stop()));
    await new Promise<void>(r => { if (!this.http) return r(); this.http.close(() => r()); this.http.closeAllConnections(); });
    this.etcd.close();
  }
}
