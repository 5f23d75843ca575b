// bench api: the apiserver's own costs, side by side with raw etcd on the same etcd, in one run.
//   creates   5,000 ConfigMap creates by 50 concurrent clients: apiserver with JSON bodies, with protobuf
//             bodies, and raw etcd3 txn-creates of the same stored bytes (the txn the apiserver issues:
//             compare mod_revision == 0, then put), each on keep-alive connections
//   list      LIST of 5,000 ConfigMaps, ~20 runs each: consistent (no resourceVersion: etcd range) and
//             resourceVersion=0 (watch cache)
//   watch     100 HTTP watch streams on configmaps; 500 sequential updates; delivery latency from the
//             write's response to the event's arrival at each watcher
//   decode    CPU per decode of a typical Pod (test/fixtures/protobuf/kinds/v1-Pod.pb) by our Kubernetes
//             protobuf decoder, beside JSON.parse of the same Pod as JSON (the floor: what a JSON body costs);
//             best of 7 batches of 1,000, in this process
// The CPU of the apiserver, etcd and this process is sampled from /proc/<pid>/stat during each phase, so the
// table can say what bounds each figure.
import * as fs from 'fs';
import * as os from 'os';
import http from 'node:http';
import { execFileSync } from 'child_process';
import { Etcd3 } from 'etcd3';
import * as path from 'path';
import { decodeKubeProtobuf, encodeKubeProtobuf } from '@mk8s/apimachinery';
import { REPO_ROOT } from '@mk8s/test';
import type { Cluster } from '@mk8s/test';
import { benchCluster } from './cluster';

const N_CREATES = Number(process.env.BENCH_CREATES ?? 5000);
const CONCURRENCY = 50;
const LIST_RUNS = 20;
const WATCHERS = 100;
const UPDATES = 500;

const CLK_TCK = (() => { try { return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100; } catch { return 100; } })();
const NCPU = (() => { try { return fs.readFileSync('/proc/cpuinfo', 'utf8').split('\n').filter((l) => l.startsWith('processor')).length || 1; } catch { return 1; } })();

// ---- measurement helpers -------------------------------------------------------------------------------

/** CPU µs per call of fn: best of 7 batches of 1,000 after a warm-up (CPU time: other processes do not count). */
function cpuMicrosPerCall(fn: () => unknown): number {
  for (let i = 0; i < 3000; i++) fn();
  let best = Infinity;
  for (let batch = 0; batch < 7; batch++) {
    const start = process.cpuUsage();
    for (let i = 0; i < 1000; i++) fn();
    const used = process.cpuUsage(start);
    best = Math.min(best, (used.user + used.system) / 1000);
  }
  return best;
}

/** Our protobuf decoder on a typical Pod, and JSON.parse of the same Pod. */
function decodeCosts(): { protobufUs: number; jsonUs: number } {
  const dir = path.join(REPO_ROOT, 'test', 'fixtures', 'protobuf', 'kinds');
  const pb = fs.readFileSync(path.join(dir, 'v1-Pod.pb'));
  const json = fs.readFileSync(path.join(dir, 'v1-Pod.json'), 'utf8');
  return { protobufUs: cpuMicrosPerCall(() => decodeKubeProtobuf(pb)), jsonUs: cpuMicrosPerCall(() => JSON.parse(json)) };
}

/** utime+stime of a process in seconds (fields 14 and 15 of /proc/<pid>/stat, after the command name). */
function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

interface PhaseCpu { wallS: number; apiserverPct: number; etcdPct: number; benchPct: number; machinePct: number }

/** Busy and total jiffies of the whole machine (first line of /proc/stat), to see competing load. */
function machineJiffies(): { busy: number; total: number } {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - f[3] - (f[4] ?? 0), total }; // minus idle and iowait
}

/** Wall time and CPU seconds of the apiserver, etcd, this process and the machine, summed over calls. */
class Meter {
  private wall = 0; private api = 0; private etcd = 0; private bench = 0; private busy = 0; private total = 0;
  constructor(private readonly pids: { apiserver: number; etcd: number }) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const a0 = cpuSeconds(this.pids.apiserver), e0 = cpuSeconds(this.pids.etcd), b0 = process.cpuUsage(), m0 = machineJiffies();
    const t0 = process.hrtime.bigint();
    const result = await fn();
    this.wall += Number(process.hrtime.bigint() - t0) / 1e9;
    const b = process.cpuUsage(b0), m = machineJiffies();
    this.api += cpuSeconds(this.pids.apiserver) - a0;
    this.etcd += cpuSeconds(this.pids.etcd) - e0;
    this.bench += (b.user + b.system) / 1e6;
    this.busy += m.busy - m0.busy; this.total += m.total - m0.total;
    return result;
  }
  /** CPU% with 100 = one core; machinePct with 100 = all cores busy. */
  get cpu(): PhaseCpu {
    const pct = (sec: number) => (100 * sec) / this.wall;
    return { wallS: this.wall, apiserverPct: pct(this.api), etcdPct: pct(this.etcd), benchPct: pct(this.bench), machinePct: this.total ? (100 * this.busy) / this.total : 0 };
  }
}

/** One-shot form of Meter. */
async function measured<T>(pids: { apiserver: number; etcd: number }, fn: () => Promise<T>): Promise<{ result: T; cpu: PhaseCpu }> {
  const m = new Meter(pids);
  const result = await m.run(fn);
  return { result, cpu: m.cpu };
}

/** CPU used on the machine by processes other than the three measured, in cores. */
const othersCores = (cpu: PhaseCpu) => Math.max(0, (cpu.machinePct * NCPU) / 100 - (cpu.apiserverPct + cpu.etcdPct + cpu.benchPct) / 100);

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}
const sortNum = (xs: number[]) => [...xs].sort((a, b) => a - b);
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

/** What limits a phase, read off the CPU figures (a single-threaded Node process saturates near 100%). */
function bound(cpu: PhaseCpu): string {
  if (cpu.machinePct >= 90 && othersCores(cpu) >= 0.5) return `CPU contention (other processes used ${othersCores(cpu).toFixed(1)} of ${NCPU} cores)`;
  if (cpu.apiserverPct >= 85) return 'apiserver CPU (one JS thread saturated)';
  if (cpu.benchPct >= 85) return 'bench client CPU';
  const total = cpu.apiserverPct + cpu.etcdPct + cpu.benchPct;
  if (total >= 90 * NCPU) return `machine CPU (${NCPU} cores shared)`;
  if (cpu.etcdPct >= 60) return 'etcd (CPU)';
  return 'etcd latency (raft+fsync round trips)';
}

/**
 * For one request at a time, CPU% is the share of the wall time each process spent computing: the largest
 * share is where the latency goes (the rest is waiting on etcd's round trips).
 */
function sequentialBound(cpu: PhaseCpu, apiserverWork: string): string {
  if (cpu.machinePct >= 90 && othersCores(cpu) >= 0.5) return `CPU contention (other processes used ${othersCores(cpu).toFixed(1)} of ${NCPU} cores)`;
  const top = Math.max(cpu.apiserverPct, cpu.benchPct, cpu.etcdPct);
  if (top < 25) return 'etcd latency (round trips)';
  if (top === cpu.apiserverPct) return `apiserver CPU (${apiserverWork})`;
  if (top === cpu.benchPct) return 'bench client CPU (parsing the reply)';
  return 'etcd (CPU)';
}

// ---- HTTP ------------------------------------------------------------------------------------------------

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function request(base: string, method: string, path: string, body?: Buffer, contentType = 'application/json'): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(base + path, {
      method, agent,
      headers: { Accept: 'application/json', ...(body ? { 'Content-Type': contentType, 'Content-Length': body.length } : {}) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Runs n jobs with `concurrency` workers; returns each job's latency in ms. */
async function pool(n: number, concurrency: number, job: (i: number) => Promise<void>): Promise<number[]> {
  const lat: number[] = new Array(n);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < n; i = next++) {
      const t = nowMs();
      await job(i);
      lat[i] = nowMs() - t;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return lat;
}

// ---- phases ------------------------------------------------------------------------------------------------

const configMap = (ns: string, i: number) => ({
  apiVersion: 'v1', kind: 'ConfigMap',
  metadata: { name: `cm-${String(i).padStart(5, '0')}`, namespace: ns, labels: { app: 'bench', shard: String(i % 10) } },
  data: { index: String(i), payload: 'x'.repeat(200) },
});

interface CreateFigures { perSec: number; p50: number; p99: number; cpu: PhaseCpu }

function createFigures(lat: number[], cpu: PhaseCpu): CreateFigures {
  const s = sortNum(lat);
  return { perSec: lat.length / cpu.wallS, p50: percentile(s, 50), p99: percentile(s, 99), cpu };
}

/** One create job per index, for a mode (apiserver JSON, apiserver protobuf, raw etcd). */
type CreateJob = (i: number) => Promise<void>;

function apiCreateJob(c: Cluster, ns: string, protobuf: boolean): CreateJob {
  const ct = protobuf ? 'application/vnd.kubernetes.protobuf' : 'application/json';
  const body = (i: number) => (protobuf ? encodeKubeProtobuf(configMap(ns, i)) : Buffer.from(JSON.stringify(configMap(ns, i))));
  return async (i) => {
    const r = await request(c.apiserver.url, 'POST', `/api/v1/namespaces/${ns}/configmaps`, body(i), ct);
    if (r.status !== 201) throw new Error(`create ${i} (${ct}): ${r.status} ${r.body.toString().slice(0, 300)}`);
  };
}

/** The bytes the apiserver stored for one of its objects (what a create in namespace ns writes to etcd). */
async function storedBytes(client: Etcd3, ns: string): Promise<Buffer> {
  const kv = await client.get(`/registry/configmaps/${ns}/cm-00000`).buffer();
  if (!kv) throw new Error(`no stored object under /registry/configmaps/${ns}/cm-00000`);
  return kv;
}

/** The txn the apiserver issues for a create (compare mod_revision == 0, then put), with the bytes it stores. */
function rawCreateJob(client: Etcd3, value: () => Buffer): CreateJob {
  return async (i) => {
    const key = Buffer.from(`/bench-raw/configmaps/raw/cm-${String(i).padStart(5, '0')}`);
    const r = await client.kv.txn({
      compare: [{ key, target: 'Mod', result: 'Equal', mod_revision: 0 }],
      success: [{ request_put: { key, value: value() } }],
      failure: [],
    });
    if (!r.succeeded) throw new Error(`raw create ${i} found the key taken`);
  };
}

const ROUNDS = 5;

/**
 * The three create modes in interleaved rounds (JSON, protobuf, raw; ROUNDS times, N_CREATES/ROUNDS each), so
 * that load which changes over the run (other processes, etcd's growing database) hits all three alike.
 */
async function createPhases(c: Cluster, pids: { apiserver: number; etcd: number }) {
  const client = new Etcd3({ hosts: c.etcd.endpoint });
  try {
    await client.get('/warmup').string(); // connect before timing
    let sample: Buffer | undefined;
    const modes = [
      { name: 'json', job: apiCreateJob(c, 'bench-json', false) },
      { name: 'protobuf', job: apiCreateJob(c, 'bench-pb', true) },
      { name: 'raw', job: rawCreateJob(client, () => sample!) },
    ].map((m) => ({ ...m, meter: new Meter(pids), lat: [] as number[] }));
    const per = Math.ceil(N_CREATES / ROUNDS);
    for (let r = 0; r < ROUNDS; r++) {
      const from = r * per, to = Math.min(N_CREATES, from + per);
      for (const m of modes) {
        if (m.name === 'raw') sample ??= await storedBytes(client, 'bench-json');
        const lat = await m.meter.run(() => pool(to - from, CONCURRENCY, (k) => m.job(from + k)));
        m.lat.push(...lat);
      }
    }
    const fig = (name: string) => { const m = modes.find((x) => x.name === name)!; return createFigures(m.lat, m.meter.cpu); };
    return { json: fig('json'), pb: fig('protobuf'), raw: fig('raw'), valueBytes: sample!.length };
  } finally {
    client.close();
  }
}

interface ListFigures { p50: number; p99: number; bytes: number; cpu: PhaseCpu }

/** LIST_RUNS of each query, alternating between them; every reply must hold all N_CREATES items. */
async function lists(c: Cluster, pids: { apiserver: number; etcd: number }, ns: string, queries: string[]): Promise<ListFigures[]> {
  const state = queries.map((q) => ({ q, meter: new Meter(pids), lat: [] as number[], bytes: 0 }));
  const once = async (q: string) => {
    const r = await request(c.apiserver.url, 'GET', `/api/v1/namespaces/${ns}/configmaps${q}`);
    if (r.status !== 200) throw new Error(`list ${q}: ${r.status}`);
    return r.body;
  };
  for (const st of state) {
    const first = JSON.parse((await once(st.q)).toString());
    if (first.items.length !== N_CREATES) throw new Error(`list ${st.q} returned ${first.items.length} items, want ${N_CREATES}`);
  }
  for (let i = 0; i < LIST_RUNS; i++) {
    for (const st of state) {
      const t = nowMs();
      const body = await st.meter.run(() => once(st.q));
      st.lat.push(nowMs() - t);
      st.bytes = body.length;
    }
  }
  return state.map((st) => { const sorted = sortNum(st.lat); return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), bytes: st.bytes, cpu: st.meter.cpu }; });
}

interface WatchFigures { p50: number; p99: number; p99FromSend: number; max: number; early: number; delivered: number; cpu: PhaseCpu }

async function watchFanout(c: Cluster, pids: { apiserver: number; etcd: number }): Promise<WatchFigures> {
  const ns = 'bench-watch';
  await request(c.apiserver.url, 'POST', '/api/v1/namespaces', Buffer.from(JSON.stringify({ metadata: { name: ns } })));
  const created = await request(c.apiserver.url, 'POST', `/api/v1/namespaces/${ns}/configmaps`, Buffer.from(JSON.stringify({ metadata: { name: 'hot' }, data: { n: '0' } })));
  if (created.status !== 201) throw new Error(`watch target: ${created.status} ${created.body}`);
  const startRV = JSON.parse(created.body.toString()).metadata.resourceVersion;

  // arrivals.get(rv) = arrival times (ms) of that revision's event across watchers.
  const arrivals = new Map<string, number[]>();
  const watchAgent = new http.Agent({ keepAlive: true, maxSockets: WATCHERS });
  let open = 0;
  const requests: http.ClientRequest[] = [];
  await new Promise<void>((resolve, reject) => {
    for (let w = 0; w < WATCHERS; w++) {
      const req = http.get(`${c.apiserver.url}/api/v1/namespaces/${ns}/configmaps?watch=1&resourceVersion=${startRV}`, { agent: watchAgent }, (res) => {
        if (res.statusCode !== 200) { reject(new Error(`watch ${w}: HTTP ${res.statusCode}`)); return; }
        if (++open === WATCHERS) resolve();
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          const t = nowMs();
          buf += d;
          let i;
          while ((i = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, i);
            buf = buf.slice(i + 1);
            // Only the resourceVersion is needed; a regexp keeps this process's CPU out of the figure.
            const m = /"resourceVersion":"(\d+)"/.exec(line);
            if (m) { let a = arrivals.get(m[1]); if (!a) arrivals.set(m[1], (a = [])); a.push(t); }
          }
        });
      });
      req.on('error', reject);
      requests.push(req);
    }
  });
  await new Promise((r) => setTimeout(r, 300)); // let every stream subscribe

  const writes: Array<{ rv: string; sent: number; answered: number }> = [];
  const { cpu } = await measured(pids, async () => {
    for (let i = 1; i <= UPDATES; i++) {
      const sent = nowMs();
      const r = await request(c.apiserver.url, 'PATCH', `/api/v1/namespaces/${ns}/configmaps/hot`, Buffer.from(JSON.stringify({ data: { n: String(i) } })), 'application/merge-patch+json');
      const answered = nowMs();
      if (r.status !== 200) throw new Error(`update ${i}: ${r.status} ${r.body}`);
      writes.push({ rv: JSON.parse(r.body.toString()).metadata.resourceVersion, sent, answered });
    }
    // Wait for the last events to reach every watcher.
    const deadline = Date.now() + 10_000;
    while ((arrivals.get(writes[writes.length - 1].rv)?.length ?? 0) < WATCHERS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  });
  for (const req of requests) req.destroy();
  watchAgent.destroy();

  const fromAnswer: number[] = [], fromSend: number[] = [];
  let early = 0, delivered = 0;
  for (const w of writes) {
    const a = arrivals.get(w.rv) ?? [];
    delivered += a.length;
    for (const t of a) {
      const d = t - w.answered;
      if (d < 0) early++;
      fromAnswer.push(Math.max(0, d)); // an event may beat the write's own response to the client
      fromSend.push(t - w.sent);
    }
  }
  if (delivered < writes.length * WATCHERS) throw new Error(`watch delivered ${delivered} of ${writes.length * WATCHERS} events`);
  const s = sortNum(fromAnswer);
  return { p50: percentile(s, 50), p99: percentile(s, 99), p99FromSend: percentile(sortNum(fromSend), 99), max: s[s.length - 1], early, delivered, cpu };
}

// ---- main --------------------------------------------------------------------------------------------------

export async function main(): Promise<void> {
  process.env.MK8S_TEST_ROOT ??= '/tmp/mk8s-bench';
  const { stopAll } = await import('@mk8s/test');
  const c = await benchCluster();
  try {
    const pids = { apiserver: c.apiserver.pid, etcd: c.etcd.pid };
    const loadBefore = os.loadavg()[0];
    for (const ns of ['bench-json', 'bench-pb']) {
      const r = await request(c.apiserver.url, 'POST', '/api/v1/namespaces', Buffer.from(JSON.stringify({ metadata: { name: ns } })));
      if (r.status !== 201) throw new Error(`namespace ${ns}: ${r.status} ${r.body}`);
    }
    // Warm up the apiserver's code paths (JIT) and connections, outside the timed phases.
    await pool(500, CONCURRENCY, async (i) => {
      await request(c.apiserver.url, 'POST', '/api/v1/namespaces/default/configmaps', Buffer.from(JSON.stringify(configMap('default', i))));
    });

    console.error(`[bench api] ${N_CREATES} creates x ${CONCURRENCY} clients each: apiserver JSON, protobuf, raw etcd (${ROUNDS} interleaved rounds) ...`);
    const { json, pb, raw, valueBytes } = await createPhases(c, pids);
    console.error('[bench api] lists ...');
    const [listConsistent, listCached] = await lists(c, pids, 'bench-json', ['', '?resourceVersion=0']);
    console.error(`[bench api] watch fan-out: ${WATCHERS} watchers x ${UPDATES} updates ...`);
    const watch = await watchFanout(c, pids);

    const ratio = json.perSec / raw.perSec;
    const cpuCell = (p: PhaseCpu) => `api ${p.apiserverPct.toFixed(0)}% etcd ${p.etcdPct.toFixed(0)}% bench ${p.benchPct.toFixed(0)}% (machine ${p.machinePct.toFixed(0)}%)`;
    const rows: string[][] = [
      ['phase', 'rate/s', 'p50 ms', 'p99 ms', 'CPU (100% = 1 core; machine 100% = all cores)', 'bounded by'],
      ['raw etcd txn create (etcd3 client)', raw.perSec.toFixed(0), raw.p50.toFixed(1), raw.p99.toFixed(1), cpuCell(raw.cpu), bound(raw.cpu)],
      ['apiserver create, JSON body', json.perSec.toFixed(0), json.p50.toFixed(1), json.p99.toFixed(1), cpuCell(json.cpu), bound(json.cpu)],
      ['apiserver create, protobuf body', pb.perSec.toFixed(0), pb.p50.toFixed(1), pb.p99.toFixed(1), cpuCell(pb.cpu), bound(pb.cpu)],
      [`LIST ${N_CREATES} consistent (etcd)`, '', listConsistent.p50.toFixed(1), listConsistent.p99.toFixed(1), cpuCell(listConsistent.cpu), sequentialBound(listConsistent.cpu, 'decode + JSON encode')],
      [`LIST ${N_CREATES} resourceVersion=0 (cache)`, '', listCached.p50.toFixed(1), listCached.p99.toFixed(1), cpuCell(listCached.cpu), sequentialBound(listCached.cpu, 'JSON encode')],
      [`watch delivery, ${WATCHERS} watchers`, '', watch.p50.toFixed(1), watch.p99.toFixed(1), cpuCell(watch.cpu), sequentialBound(watch.cpu, `encode once, write to ${WATCHERS} sockets`)],
    ];
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    console.log(rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i])).join('  ')).join('\n'));
    console.log(`apiserver/raw etcd create throughput: JSON ${ratio.toFixed(2)}, protobuf ${(pb.perSec / raw.perSec).toFixed(2)}; ` +
      `raw etcd = txn(compare mod_revision=0, put) per key through the etcd3 client, the apiserver's txn with its stored ${valueBytes}-byte value; ${ROUNDS} interleaved rounds`);
    console.log(`LIST response ${(listConsistent.bytes / 1e6).toFixed(2)} MB; watch: ${watch.delivered} events delivered, ` +
      `${watch.early} arrived before the write's response (counted as 0 ms), p99 from request send ${watch.p99FromSend.toFixed(1)} ms, max ${watch.max.toFixed(1)} ms`);
    const loadAfter = os.loadavg()[0];
    console.log(`machine: ${NCPU} CPUs shared by etcd, the apiserver and this client; 1-min load average ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after` +
      (Math.max(loadBefore, loadAfter) > NCPU ? ' (other work competed for the CPUs: figures are pessimistic)' : ''));

    const decode = decodeCosts();
    const goal = (target: string, value: number, met: boolean) => ({ target, value: round(value, 3), met });
    const out = {
      bench: 'api',
      figures: {
        creates: N_CREATES, concurrency: CONCURRENCY, cpus: NCPU, load_avg_1m_before: round(loadBefore, 1), load_avg_1m_after: round(loadAfter, 1),
        raw_etcd_creates_per_s: round(raw.perSec, 1), raw_etcd_create_p50_ms: round(raw.p50), raw_etcd_create_p99_ms: round(raw.p99),
        json_creates_per_s: round(json.perSec, 1), json_create_p50_ms: round(json.p50), json_create_p99_ms: round(json.p99),
        protobuf_creates_per_s: round(pb.perSec, 1), protobuf_create_p50_ms: round(pb.p50), protobuf_create_p99_ms: round(pb.p99),
        json_create_throughput_ratio: round(ratio, 3), protobuf_create_throughput_ratio: round(pb.perSec / raw.perSec, 3),
        list_consistent_p50_ms: round(listConsistent.p50), list_consistent_p99_ms: round(listConsistent.p99),
        list_rv0_p50_ms: round(listCached.p50), list_rv0_p99_ms: round(listCached.p99), list_bytes: listConsistent.bytes,
        watch_watchers: WATCHERS, watch_updates: UPDATES, watch_delivery_p50_ms: round(watch.p50), watch_delivery_p99_ms: round(watch.p99),
        watch_delivery_p99_from_send_ms: round(watch.p99FromSend), watch_events_before_response: watch.early,
        pod_protobuf_decode_us: round(decode.protobufUs, 1), pod_json_parse_us: round(decode.jsonUs, 1),
        apiserver_cpu_pct: {
          raw: round(raw.cpu.apiserverPct, 0), json: round(json.cpu.apiserverPct, 0), protobuf: round(pb.cpu.apiserverPct, 0),
          list_consistent: round(listConsistent.cpu.apiserverPct, 0), list_rv0: round(listCached.cpu.apiserverPct, 0), watch: round(watch.cpu.apiserverPct, 0),
        },
        machine_busy_pct: {
          raw: round(raw.cpu.machinePct, 0), json: round(json.cpu.machinePct, 0), protobuf: round(pb.cpu.machinePct, 0),
          list_consistent: round(listConsistent.cpu.machinePct, 0), list_rv0: round(listCached.cpu.machinePct, 0), watch: round(watch.cpu.machinePct, 0),
        },
        etcd_cpu_pct: {
          raw: round(raw.cpu.etcdPct, 0), json: round(json.cpu.etcdPct, 0), protobuf: round(pb.cpu.etcdPct, 0),
          list_consistent: round(listConsistent.cpu.etcdPct, 0), watch: round(watch.cpu.etcdPct, 0),
        },
      },
      goals: {
        create_throughput_ratio: goal('>= 0.5', ratio, ratio >= 0.5),
        create_p99_ms: goal('<= 100', Math.max(json.p99, pb.p99), Math.max(json.p99, pb.p99) <= 100),
        list_5000_p50_ms: goal('<= 150', listConsistent.p50, listConsistent.p50 <= 150),
        watch_delivery_p99_ms: goal('<= 100', watch.p99, watch.p99 <= 100),
        pod_protobuf_decode_us: goal('<= 50', decode.protobufUs, decode.protobufUs <= 50),
      },
    };
    console.log(JSON.stringify(out));
  } finally {
    agent.destroy();
    await c.teardown();
    await stopAll();
  }
}
