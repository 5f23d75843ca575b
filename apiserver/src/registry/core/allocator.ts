// ClusterIP and NodePort allocation for Services, as upstream's ipallocator/portallocator bitmaps: a static
// lower band kept for explicitly requested values (KEP-3070/3668), dynamic picks from the upper band first.
// State is rebuilt from the stored Services (the source of truth) instead of a RangeAllocation object, so a
// restarted apiserver never hands out an address that a Service already holds.
import type { KObject } from '../strategy';

/** Why an allocation failed; the service strategy turns it into upstream's 422/500 Status. */
export class AllocationError extends Error {
  constructor(readonly kind: 'allocated' | 'range' | 'full', message: string) { super(message); }
}

export interface ServiceIPAllocatorOptions {
  /** Every stored Service (all namespaces); used to seed and repair the allocation maps. */
  listServices: () => Promise<KObject[]>;
  /** `--service-cluster-ip-range`, default 10.96.0.0/12 (IPv4 only). */
  serviceCIDR?: string;
  /** `--service-node-port-range`, default 30000-32767. */
  nodePortRange?: string;
}

function ipToInt(ip: string): number | undefined {
  const p = ip.split('.');
  if (p.length !== 4 || !p.every(x => /^(0|[1-9][0-9]{0,2})$/.test(x) && Number(x) <= 255)) return undefined;
  return ((Number(p[0]) << 24) >>> 0) + (Number(p[1]) << 16) + (Number(p[2]) << 8) + Number(p[3]);
}
const intToIP = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

/** calculateRangeOffset: size of the lower band kept for static requests (none for tiny ranges). */
function staticBand(size: number, min: number, max: number, step: number): number {
  if (size < min) return 0;
  return Math.min(Math.max(min, Math.floor(size / step)), max);
}

/** Allocations younger than this survive a repair even if no stored Service holds them yet (in-flight creates). */
const IN_FLIGHT_MS = 60_000;

/** A bitmap-like allocator over [base, base+size) with a static lower band. */
class RangeAllocator {
  private used = new Set<number>();
  private recent = new Map<number, number>();
  private next: number;
  constructor(readonly base: number, readonly size: number, readonly staticBand: number) {
    this.next = staticBand;
  }
  has(v: number) { return this.used.has(v); }
  inRange(v: number) { return v >= this.base && v < this.base + this.size; }
  allocate(v: number): boolean {
    if (this.used.has(v)) return false;
    this.used.add(v);
    this.recent.set(v, Date.now());
    return true;
  }
  /** Next free offset: sequentially through the upper band, then the lower band. */
  allocateNext(): number | undefined {
    const tryRange = (from: number, to: number): number | undefined => {
      for (let i = 0; i < to - from; i++) {
        const off = from + ((this.next - from + i) % (to - from));
        const v = this.base + off;
        if (!this.used.has(v)) { this.next = off + 1 >= to ? from : off + 1; this.allocate(v); return v; }
      }
      return undefined;
    };
    if (this.next < this.staticBand) this.next = this.staticBand;
    return tryRange(this.staticBand, this.size) ?? tryRange(0, this.staticBand);
  }
  release(v: number) { this.used.delete(v); this.recent.delete(v); }
  free() { return this.size - this.used.size; }
  /** Replace the set with what storage holds, keeping very recent allocations that may still be in flight. */
  reset(values: Iterable<number>) {
    const now = Date.now();
    const keep = [...this.recent].filter(([, t]) => now - t < IN_FLIGHT_MS).map(([v]) => v);
    this.used = new Set([...values, ...keep]);
    for (const [v, t] of this.recent) if (now - t >= IN_FLIGHT_MS) this.recent.delete(v);
  }
}

export class ServiceIPAllocator {
  readonly cidr: string;
  readonly nodePortRange: { min: number; max: number };
  private ips: RangeAllocator;
  private ports: RangeAllocator;
  private loaded?: Promise<void>;
  private isReady = false;

  constructor(private readonly opts: ServiceIPAllocatorOptions) {
    this.cidr = opts.serviceCIDR ?? '10.96.0.0/12';
    const m = /^([0-9.]+)\/([0-9]{1,2})$/.exec(this.cidr);
    const net = m ? ipToInt(m[1]) : undefined;
    const bits = m ? Number(m[2]) : NaN;
    if (net === undefined || !(bits >= 8 && bits <= 30)) throw new Error(`invalid service cluster IP range ${JSON.stringify(this.cidr)}: want an IPv4 CIDR between /8 and /30`);
    const hostBits = 32 - bits;
    const network = (net >>> hostBits << hostBits) >>> 0;
    // Network and broadcast addresses are never handed out.
    const size = 2 ** hostBits - 2;
    this.ips = new RangeAllocator(network + 1, size, staticBand(size, 16, 256, 16));

    const r = /^([0-9]+)-([0-9]+)$/.exec(opts.nodePortRange ?? '30000-32767');
    const min = r ? Number(r[1]) : NaN, max = r ? Number(r[2]) : NaN;
    if (!(min >= 1 && max <= 65535 && min <= max)) throw new Error(`invalid service node port range ${JSON.stringify(opts.nodePortRange)}`);
    this.nodePortRange = { min, max };
    const psize = max - min + 1;
    this.ports = new RangeAllocator(min, psize, staticBand(psize, 16, 128, 32));
  }

  /** The first address of the range, reserved for `default/kubernetes`. */
  firstIP(): string { return intToIP(this.ips.base); }

  get ready(): boolean { return this.isReady; }

  /** Seeds from the stored Services once; later calls wait for the same load. A failed load is retried. */
  init(): Promise<void> {
    if (!this.loaded) {
      this.loaded = this.repair().then(() => { this.isReady = true; }, e => { this.loaded = undefined; throw e; });
    }
    return this.loaded;
  }

  /** Rebuilds both maps from the stored Services (upstream's repair loop does the same every 3 minutes). */
  async repair(): Promise<void> {
    const svcs = await this.opts.listServices();
    const ips: number[] = [];
    const ports: number[] = [];
    for (const s of svcs) {
      const spec = s?.spec ?? {};
      const all: unknown[] = Array.isArray(spec.clusterIPs) ? spec.clusterIPs : [spec.clusterIP];
      for (const ip of all) {
        const n = typeof ip === 'string' ? ipToInt(ip) : undefined;
        if (n !== undefined && this.ips.inRange(n)) ips.push(n);
      }
      for (const p of Array.isArray(spec.ports) ? spec.ports : []) {
        if (Number.isInteger(p?.nodePort) && this.ports.inRange(p.nodePort)) ports.push(p.nodePort);
      }
      if (Number.isInteger(spec.healthCheckNodePort) && this.ports.inRange(spec.healthCheckNodePort)) ports.push(spec.healthCheckNodePort);
    }
    this.ips.reset(ips);
    this.ports.reset(ports);
  }

  /** Allocates `requested` (422-style errors when taken or outside the range) or the next free address. */
  async allocateClusterIP(requested?: string): Promise<string> {
    await this.init();
    return this.allocateClusterIPSync(requested);
  }
  allocateClusterIPSync(requested?: string): string {
    if (requested) {
      const n = ipToInt(requested);
      if (n === undefined || !this.ips.inRange(n)) {
        throw new AllocationError('range', `the provided IP (${requested}) is not in the valid range. The range of valid IPs is ${this.cidr}`);
      }
      if (!this.ips.allocate(n)) throw new AllocationError('allocated', 'provided IP is already allocated');
      return requested;
    }
    const v = this.ips.allocateNext();
    if (v === undefined) throw new AllocationError('full', 'range is full');
    return intToIP(v);
  }
  releaseClusterIP(ip: string | undefined): void {
    const n = typeof ip === 'string' ? ipToInt(ip) : undefined;
    if (n !== undefined) this.ips.release(n);
  }

  async allocateNodePort(requested?: number): Promise<number> {
    await this.init();
    return this.allocateNodePortSync(requested);
  }
  allocateNodePortSync(requested?: number): number {
    if (requested) {
      if (!this.ports.inRange(requested)) {
        throw new AllocationError('range', `provided port is not in the valid range. The range of valid ports is ${this.nodePortRange.min}-${this.nodePortRange.max}`);
      }
      if (!this.ports.allocate(requested)) throw new AllocationError('allocated', 'provided port is already allocated');
      return requested;
    }
    const v = this.ports.allocateNext();
    if (v === undefined) throw new AllocationError('full', 'range is full');
    return v;
  }
  releaseNodePort(port: number | undefined): void {
    if (Number.isInteger(port)) this.ports.release(port!);
  }

  isIPAllocated(ip: string): boolean { const n = ipToInt(ip); return n !== undefined && this.ips.has(n); }
  isNodePortAllocated(port: number): boolean { return this.ports.has(port); }
  freeIPs(): number { return this.ips.free(); }
  freeNodePorts(): number { return this.ports.free(); }
}
