// bench client: the shared client library over its two transports, side by side against one real apiserver.
//   sync      time for a fresh SharedInformer (new client) to list 10,000 ConfigMaps and report synced, over
//             gRPC and over HTTP (its first list is at resourceVersion 0: the apiserver's cache answers it whole,
//             as upstream's does); after one warm-up round of each, 25 rounds each, alternating which goes first,
//             median reported
//   delivery  100 informers of one transport (each its own client, all running at once) on one namespace;
//             sequential updates of one ConfigMap; latency from the write's response to each informer's update
//             handler. The transports take turns (grpc, http, http, grpc; 1,000 updates per transport): run at
//             the same time, whichever the apiserver's fan-out writes second (and this process reads second)
//             would carry the other's cost, which measures their order, not the transports. That is measured
//             BENCH_CLIENT_REPEATS (3) times (the turns reversed every other time); the figures are the medians.
// The 10,000 are seeded straight into etcd (copies of one ConfigMap created through the apiserver), since seeding
// is not what is measured. Env: BENCH_CLIENT_OBJECTS (10000), BENCH_CLIENT_INFORMERS (100), BENCH_CLIENT_UPDATES (1000).
import { grpcClient, httpClient, KubeClient, resources, SharedInformer } from '@mk8s/apimachinery';
import { seedConfigMapCopies, stopAll } from '@mk8s/test';
import { benchCluster } from './cluster';

const OBJECTS = Number(process.env.BENCH_CLIENT_OBJECTS ?? 10_000);
const INFORMERS = Number(process.env.BENCH_CLIENT_INFORMERS ?? 100);
const UPDATES = Number(process.env.BENCH_CLIENT_UPDATES ?? 1000);
const REPEATS = Number(process.env.BENCH_CLIENT_REPEATS ?? 3);
const ROUNDS = 25;

type Side = 'grpc' | 'http';
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}
const quiet = () => undefined;

async function seed(kube: KubeClient, etcdEndpoint: string, ns: string, n: number): Promise<void> {
  await kube.create(resources.configmaps, ns, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'seed-00000' }, data: { v: '0', pad: 'x'.repeat(200) } });
  await seedConfigMapCopies(etcdEndpoint, ns, n);
}

export async function main(): Promise<void> {
  const c = await benchCluster();
  const make = (side: Side, agent: string) => (side === 'grpc' ? grpcClient(c.apiserver.grpc, agent) : httpClient(c.apiserver.url, agent));
  const admin = make('grpc', 'bench-client');
  try {
    for (const ns of ['bench', 'hot']) await admin.create(resources.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    await seed(admin, c.etcd.endpoint, 'bench', OBJECTS);
    // the apiserver's watch cache has taken the seeded objects in when a list from it (RV=0) counts them all
    for (let i = 0; ; i++) {
      const l = await admin.list(resources.configmaps, 'bench', { resourceVersion: '0' });
      if (l.items.length === OBJECTS) break;
      if (i > 300) throw new Error(`apiserver holds ${l.items.length} of ${OBJECTS} seeded objects`);
      await new Promise((r) => setTimeout(r, 100));
    }

    // ---- sync ----
    const syncS: Record<Side, number[]> = { grpc: [], http: [] };
    // round -1 is a warm-up for both (not recorded): the first sync of a run pays for JIT and the apiserver's
    // first large lists, whichever transport goes first
    for (let r = -1; r < ROUNDS; r++) {
      for (const side of (r % 2 === 0 ? ['grpc', 'http'] : ['http', 'grpc']) as Side[]) {
        const k = make(side, `bench-sync-${side}`);
        const inf = new SharedInformer(k.listWatcher(resources.configmaps, 'bench'), { onError: quiet });
        const t0 = nowMs();
        inf.run();
        if (!(await inf.waitForSync())) throw new Error(`${side} informer stopped before syncing`);
        if (r >= 0) syncS[side].push((nowMs() - t0) / 1000);
        if (inf.indexer.list().length !== OBJECTS) throw new Error(`${side} informer has ${inf.indexer.list().length} objects, not ${OBJECTS}`);
        inf.stop();
        k.close();
      }
    }

    // ---- delivery ----
    await admin.create(resources.configmaps, 'hot', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'hot' }, data: { n: '0' } });
    // a p99 over 1,000 updates rests on its ~10 slowest updates (each reaches all 100 informers), so one
    // measurement swings with a stray GC or fsync: it is taken REPEATS times and the median p99 is the figure
    const reps: { lat: Record<Side, number[]>; send: Record<Side, number[]> }[] = [];
    let lat: Record<Side, number[]> = { grpc: [], http: [] };
    let latFromSend: Record<Side, number[]> = { grpc: [], http: [] };
    const writeS: Record<Side, number> = { grpc: 0, http: 0 };
    let n = 0;
    const deliveryRound = async (side: Side, updates: number) => {
      const arrivals = new Map<string, number[]>();
      const running: { inf: SharedInformer; k: KubeClient }[] = [];
      for (let i = 0; i < INFORMERS; i++) {
        const k = make(side, `bench-watch-${side}`);
        const inf = new SharedInformer(k.listWatcher(resources.configmaps, 'hot'), { onError: quiet });
        inf.addEventHandler({
          update: (_o, obj) => {
            const t = nowMs();
            const rv = String(obj.metadata?.resourceVersion);
            const l = arrivals.get(rv);
            if (l) l.push(t); else arrivals.set(rv, [t]);
          },
        });
        inf.run();
        running.push({ inf, k });
      }
      for (const { inf } of running) await inf.waitForSync();
      await new Promise((r) => setTimeout(r, 500)); // every watch open
      const responded = new Map<string, number>();
      const sent = new Map<string, number>();
      const w0 = nowMs();
      for (let i = 1; i <= updates; i++) {
        const t0 = nowMs();
        const o = await admin.patch<any>(resources.configmaps, 'hot', 'hot', 'merge', { data: { n: String(++n) } });
        responded.set(o.metadata.resourceVersion, nowMs());
        sent.set(o.metadata.resourceVersion, t0);
      }
      writeS[side] += (nowMs() - w0) / 1000;
      const expected = updates * INFORMERS;
      const count = () => [...responded.keys()].reduce((a, rv) => a + (arrivals.get(rv)?.length ?? 0), 0);
      for (let i = 0; i < 300 && count() < expected; i++) await new Promise((r) => setTimeout(r, 100));
      for (const [rv, at] of responded) {
        for (const t of arrivals.get(rv) ?? []) { lat[side].push(Math.max(0, t - at)); latFromSend[side].push(t - sent.get(rv)!); }
      }
      for (const { inf, k } of running) { inf.stop(); k.close(); }
    };
    for (let r = 0; r < REPEATS; r++) {
      lat = { grpc: [], http: [] };
      latFromSend = { grpc: [], http: [] };
      reps.push({ lat, send: latFromSend });
      for (const side of (r % 2 === 0 ? ['grpc', 'http', 'http', 'grpc'] : ['http', 'grpc', 'grpc', 'http']) as Side[]) await deliveryRound(side, UPDATES / 2);
    }
    const expected = UPDATES * INFORMERS;
    const perRep = (side: Side, which: 'lat' | 'send', p: number) => reps.map(x => percentile(x[which][side], p));
    const medianOf = (side: Side, which: 'lat' | 'send', p: number) => median(perRep(side, which, p));
    const delivered = (side: Side) => Math.min(...reps.map(x => x.lat[side].length));

    const sync = { grpc: median(syncS.grpc), http: median(syncS.http) };
    const p99 = { grpc: medianOf('grpc', 'lat', 99), http: medianOf('http', 'lat', 99) };
    const p50 = { grpc: medianOf('grpc', 'lat', 50), http: medianOf('http', 'lat', 50) };
    const p99Send = { grpc: medianOf('grpc', 'send', 99), http: medianOf('http', 'send', 99) };
    const p50Send = { grpc: medianOf('grpc', 'send', 50), http: medianOf('http', 'send', 50) };
    const syncRatio = sync.grpc / sync.http;
    const p99Ratio = p99.grpc / p99.http;
    console.log('client bench');
    console.log(`  sync of ${OBJECTS} ConfigMaps (median of ${ROUNDS})   grpc ${round(sync.grpc, 3)} s   http ${round(sync.http, 3)} s   ratio ${round(syncRatio, 3)}`);
    console.log(`    rounds: grpc ${syncS.grpc.map((x) => round(x, 3)).join(', ')}; http ${syncS.http.map((x) => round(x, 3)).join(', ')}`);
    console.log(`  delivery to ${INFORMERS} informers/transport, ${UPDATES} updates per transport, ${REPEATS} times (turns: grpc, http, http, grpc, then the other way round) in grpc ${round(writeS.grpc, 1)} s, http ${round(writeS.http, 1)} s`);
    console.log(`    grpc p50 ${round(p50.grpc)} ms p99 ${round(p99.grpc)} ms (median of ${perRep('grpc', 'lat', 99).map(x => round(x)).join(', ')}; ${delivered('grpc')}/${expected} delivered)`);
    console.log(`    http p50 ${round(p50.http)} ms p99 ${round(p99.http)} ms (median of ${perRep('http', 'lat', 99).map(x => round(x)).join(', ')}; ${delivered('http')}/${expected} delivered)`);
    console.log(`    from the write's send: grpc p50 ${round(p50Send.grpc)} ms p99 ${round(p99Send.grpc)} ms; http p50 ${round(p50Send.http)} ms p99 ${round(p99Send.http)} ms`);
    const goal = (target: string, value: number, met: boolean) => ({ target, value: round(value, 3), met });
    console.log(JSON.stringify({
      bench: 'client',
      figures: {
        objects: OBJECTS, sync_10k_grpc_s: round(sync.grpc, 3), sync_10k_http_s: round(sync.http, 3), sync_grpc_http_ratio: round(syncRatio, 3),
        informers_per_transport: INFORMERS, updates: UPDATES, repeats: REPEATS, update_rate_per_s: round((2 * UPDATES * REPEATS) / (writeS.grpc + writeS.http), 1),
        delivery_grpc_p50_ms: round(p50.grpc), delivery_grpc_p99_ms: round(p99.grpc),
        delivery_http_p50_ms: round(p50.http), delivery_http_p99_ms: round(p99.http), delivery_p99_grpc_http_ratio: round(p99Ratio, 3),
        delivery_grpc_p99_per_repeat_ms: perRep('grpc', 'lat', 99).map(x => round(x)), delivery_http_p99_per_repeat_ms: perRep('http', 'lat', 99).map(x => round(x)),
        delivered_grpc: delivered('grpc'), delivered_http: delivered('http'), expected_deliveries: expected,
      },
      goals: {
        sync_10k_grpc_s: goal('<= 2', sync.grpc, sync.grpc <= 2),
        sync_10k_http_s: goal('<= 2', sync.http, sync.http <= 2),
        delivery_p99_ms: goal('<= 100', Math.max(p99.grpc, p99.http), Math.max(p99.grpc, p99.http) <= 100),
        grpc_vs_http_sync_ratio: goal('<= 1', syncRatio, syncRatio <= 1),
        grpc_vs_http_delivery_p99_ratio: goal('<= 1', p99Ratio, p99Ratio <= 1),
        all_delivered: goal('== 1', (delivered('grpc') + delivered('http')) / (2 * expected), delivered('grpc') === expected && delivered('http') === expected),
      },
    }));
  } finally {
    admin.close();
    await c.teardown();
    await stopAll();
  }
}
