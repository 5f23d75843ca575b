// Pod volumes on the node: each volume becomes a host directory (or a host path) that the runtime binds into
// the containers, laid out as upstream under <rootDir>/pods/<uid>/volumes/<escaped plugin>/<name>.
// API-data volumes (configMap, secret, downwardAPI, projected) go through the AtomicWriter and are rewritten
// by a periodic resync, so running pods see changes within the resync period.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseQuantity, resources, StatusError } from '@mk8s/apimachinery';
import type { KubeClient, Logger, Resource } from '@mk8s/apimachinery';
import type {
  Container, KeyToPath, Pod, Volume, VolumeMount, ConfigMap, Secret, DownwardAPIVolumeFile, PersistentVolume, PersistentVolumeClaim,
  ServiceAccountTokenProjection,
} from 'kubernetes-types/core/v1';
import { writePayload, validatePayloadPath, type Payload } from './atomic-writer';
import { checkHostPathType } from './hostpath';
import { fieldRefValue, resourceFieldValue } from './downward';
import { mountTmpfs, unmountAll } from './mount';

export { writePayload, validatePayloadPath } from './atomic-writer';
export type { Payload, FileProjection } from './atomic-writer';
export { checkHostPathType } from './hostpath';
export { fieldRefValue, resourceFieldValue, formatMap } from './downward';

export type VolumeErrorReason = 'FailedMount' | 'CreateContainerConfigError';

/** A volume problem the pod worker turns into an event (reason) and keeps the pod waiting on. */
export class VolumeError extends Error {
  constructor(readonly reason: VolumeErrorReason, message: string, readonly volume?: string) { super(message); }
}

/** What the manager needs from the API: a KubeClient fits; tests pass a fake with get() only. */
export type VolumeKube = Pick<KubeClient, 'get'> & Partial<Pick<KubeClient, 'createSubresource'>>;

export interface VolumeManagerOptions {
  rootDir: string;
  kube: KubeClient | VolumeKube;
  nodeName: string;
  log: Logger;
  /** How often API-data volumes of set-up pods are rewritten from the API (default 15 s). */
  resyncMs?: number;
  /** Mount tmpfs on the host for Memory emptyDirs and secrets (default: try; off when mount fails once). */
  hostTmpfs?: boolean;
}

const PLUGIN = {
  emptyDir: 'kubernetes.io~empty-dir',
  configMap: 'kubernetes.io~configmap',
  secret: 'kubernetes.io~secret',
  downwardAPI: 'kubernetes.io~downward-api',
  projected: 'kubernetes.io~projected',
} as const;

const PVC_RESOURCE: Resource = { group: '', version: 'v1', resource: 'persistentvolumeclaims' };
const PV_RESOURCE: Resource = { group: '', version: 'v1', resource: 'persistentvolumes' };
const DEFAULT_MODE = 0o644;
const TOKEN_DEFAULT_EXPIRATION = 3600;

/** A volume ready on the host. */
interface ReadyVolume {
  hostPath: string;
  /** API-data volumes are always mounted read-only (upstream since 1.9.4). */
  readOnly: boolean;
  /** Memory emptyDir that could not get a host tmpfs: each container gets its own Docker tmpfs. */
  dockerTmpfs?: string;
  /** Rewritten by the resync. */
  refresh?: () => Promise<void>;
}

interface PodVolumes { pod: Pod; volumes: Map<string, ReadyVolume> }

interface CachedToken { token: string; refreshAt: number }

const isNotFound = (e: unknown) => e instanceof StatusError ? e.code === 404 : (e as { code?: unknown })?.code === 404;
const errText = (e: unknown) => (e as Error)?.message ?? String(e);

function setupFailed(vol: string, msg: string): VolumeError {
  return new VolumeError('FailedMount', `MountVolume.SetUp failed for volume "${vol}" : ${msg}`, vol);
}

export class VolumeManager {
  private readonly pods = new Map<string, PodVolumes>();
  private readonly tokens = new Map<string, CachedToken>();
  private timer?: NodeJS.Timeout;
  private hostTmpfs: boolean;
  private resyncing = false;

  constructor(private readonly opts: VolumeManagerOptions) {
    this.hostTmpfs = opts.hostTmpfs ?? true;
  }

  podDir(uid: string): string { return path.join(this.opts.rootDir, 'pods', uid); }
  volumeDir(uid: string, plugin: string, name: string): string { return path.join(this.podDir(uid), 'volumes', plugin, name); }

  /**
   * Makes every volume of pod ready on the host. Idempotent: called again (newer pod, retry) it rewrites
   * changed API data and leaves the rest. Throws the first VolumeError after trying all volumes.
   */
  async setUpPod(pod: Pod): Promise<void> {
    const uid = pod.metadata?.uid;
    if (!uid) throw new VolumeError('FailedMount', 'pod has no metadata.uid');
    const prev = this.pods.get(uid);
    const volumes = new Map<string, ReadyVolume>();
    const failures: VolumeError[] = [];
    for (const vol of pod.spec?.volumes ?? []) {
      try {
        volumes.set(vol.name, await this.setUpVolume(pod, vol));
      } catch (e) {
        const ve = e instanceof VolumeError ? e : setupFailed(vol.name, errText(e));
        failures.push(ve);
        const old = prev?.volumes.get(vol.name);
        if (old) volumes.set(vol.name, old); // a running pod keeps its last good content
      }
    }
    this.pods.set(uid, { pod, volumes });
    this.ensureResync();
    if (failures.length) {
      for (const f of failures.slice(1)) this.opts.log.warn('volume setup failed', { pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`, error: f.message });
      throw failures[0];
    }
  }

  /** Docker binds (`src:dst[:opts]`) and tmpfs mounts for container's volumeMounts. Throws VolumeError. */
  mountsFor(pod: Pod, container: Container): { binds: string[]; tmpfs: Record<string, string> } {
    const uid = pod.metadata?.uid ?? '';
    const state = this.pods.get(uid);
    const binds: string[] = [];
    const tmpfs: Record<string, string> = {};
    const configError = (msg: string) => new VolumeError('CreateContainerConfigError', msg);
    for (const m of container.volumeMounts ?? []) {
      const vol = state?.volumes.get(m.name);
      if (!vol) {
        const declared = (pod.spec?.volumes ?? []).some(v => v.name === m.name);
        throw declared
          ? new VolumeError('FailedMount', `volume "${m.name}" of container "${container.name}" is not set up yet`, m.name)
          : configError(`cannot find volume "${m.name}" to mount into container "${container.name}"`);
      }
      if (!m.mountPath || !m.mountPath.startsWith('/')) throw configError(`mountPath ${JSON.stringify(m.mountPath)} of volume "${m.name}" must be an absolute path`);
      const subPath = this.subPathOf(m, container);
      if (vol.dockerTmpfs !== undefined && !subPath) {
        tmpfs[m.mountPath] = vol.dockerTmpfs;
        continue;
      }
      const source = subPath ? this.resolveSubPath(vol, m.name, subPath) : vol.hostPath;
      for (const p of [source, m.mountPath]) if (p.includes(':') || p.includes(',')) throw configError(`path ${JSON.stringify(p)} of volume "${m.name}" cannot be bound by Docker (contains ':' or ',')`);
      const flags = [m.readOnly || vol.readOnly ? 'ro' : 'rw'];
      if (m.mountPropagation === 'HostToContainer') flags.push('rslave');
      else if (m.mountPropagation === 'Bidirectional') flags.push('rshared');
      binds.push(`${source}:${m.mountPath}:${flags.join(',')}`);
    }
    return { binds, tmpfs };
  }

  /** Unmounts and removes the pod's volume dirs (host paths and PV paths are never touched). */
  async tearDownPod(podUid: string): Promise<void> {
    if (!podUid || podUid.includes('/') || podUid.startsWith('.')) throw new Error(`invalid pod uid ${JSON.stringify(podUid)}`);
    this.pods.delete(podUid);
    for (const k of [...this.tokens.keys()]) if (k.startsWith(`${podUid}/`)) this.tokens.delete(k);
    const volumesDir = path.join(this.podDir(podUid), 'volumes');
    await unmountAll(volumesDir); // never rm -rf through a mount
    fs.rmSync(volumesDir, { recursive: true, force: true });
    try { fs.rmdirSync(this.podDir(podUid)); } catch { /* other kubelet files still there, or gone already */ }
    if (this.pods.size === 0) this.stopResync();
  }

  /** Uids of pods whose volumes this manager set up. */
  podUids(): string[] { return [...this.pods.keys()]; }

  /** Rewrites every API-data volume of every set-up pod from the API now. */
  async resync(): Promise<void> {
    if (this.resyncing) return;
    this.resyncing = true;
    try {
      for (const [uid, state] of [...this.pods]) {
        for (const [name, vol] of state.volumes) {
          if (!vol.refresh || this.pods.get(uid) !== state) continue;
          try { await vol.refresh(); } catch (e) {
            this.opts.log.warn('volume refresh failed; keeping the previous content', { pod: `${state.pod.metadata?.namespace}/${state.pod.metadata?.name}`, volume: name, error: errText(e) });
          }
        }
      }
    } finally { this.resyncing = false; }
  }

  /** Stops the periodic resync (the manager stays usable). */
  close(): void { this.stopResync(); }

  private ensureResync(): void {
    if (this.timer) return;
    this.timer = setInterval(() => { void this.resync(); }, this.opts.resyncMs ?? 15_000);
    this.timer.unref();
  }
  private stopResync(): void { if (this.timer) clearInterval(this.timer); this.timer = undefined; }

  // --- subPath -------------------------------------------------------------------------------------------

  private subPathOf(m: VolumeMount, c: Container): string | undefined {
    if (m.subPath && m.subPathExpr) throw new VolumeError('CreateContainerConfigError', `volumeMount "${m.name}": subPath and subPathExpr are mutually exclusive`);
    if (m.subPath) return m.subPath;
    if (!m.subPathExpr) return undefined;
    // $(VAR) from the container's literal env values; upstream also expands valueFrom env (the core does that for env)
    const env = new Map((c.env ?? []).filter(e => e.value !== undefined).map(e => [e.name, e.value!]));
    return m.subPathExpr.replace(/\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (all, n) => env.get(n) ?? all);
  }

  private resolveSubPath(vol: ReadyVolume, name: string, subPath: string): string {
    const bad = (msg: string) => new VolumeError('CreateContainerConfigError', `failed to prepare subPath for volumeMount "${name}": ${msg}`);
    if (path.isAbsolute(subPath)) throw bad(`subPath ${JSON.stringify(subPath)} must be a relative path`);
    if (subPath.split('/').includes('..')) throw bad(`subPath ${JSON.stringify(subPath)} must not contain '..'`);
    const base = fs.realpathSync(vol.hostPath);
    let full = path.join(base, subPath);
    if (!fs.existsSync(full)) {
      if (vol.readOnly && vol.refresh) throw bad(`subPath ${JSON.stringify(subPath)} does not exist in the volume`);
      fs.mkdirSync(full, { recursive: true, mode: 0o755 }); // upstream creates a missing subPath as a directory
    }
    // Through the AtomicWriter's links to the real file: a subPath mount is a snapshot that never updates.
    full = fs.realpathSync(full);
    if (full !== base && !full.startsWith(base + '/')) throw bad(`subPath ${JSON.stringify(subPath)} resolves outside the volume`);
    return full;
  }

  // --- volume plugins ------------------------------------------------------------------------------------

  private async setUpVolume(pod: Pod, vol: Volume): Promise<ReadyVolume> {
    const uid = pod.metadata!.uid!;
    const name = vol.name;
    if (vol.emptyDir) return this.setUpEmptyDir(uid, vol);
    if (vol.hostPath) {
      const p = vol.hostPath.path;
      if (!p || !path.isAbsolute(p)) throw setupFailed(name, `hostPath path ${JSON.stringify(p)} must be absolute`);
      try { checkHostPathType(p, vol.hostPath.type); } catch (e) { throw setupFailed(name, errText(e)); }
      return { hostPath: p, readOnly: false };
    }
    if (vol.persistentVolumeClaim) return this.setUpClaim(pod, vol);
    const atomic = this.atomicSource(pod, vol);
    if (!atomic) {
      const kind = Object.keys(vol).find(k => k !== 'name') ?? 'none';
      throw setupFailed(name, `unsupported volume type ${kind}: mk8s supports emptyDir, hostPath, configMap, secret, downwardAPI, projected and persistentVolumeClaim`);
    }
    const dir = this.volumeDir(uid, atomic.plugin, name);
    fs.mkdirSync(dir, { recursive: true });
    if (atomic.memory) await this.tryTmpfs(dir, 0, 0o755);
    const write = async () => {
      // re-read the pod each time: downward API files follow label/annotation changes
      const current = this.pods.get(uid)?.pod ?? pod;
      const v = (current.spec?.volumes ?? []).find(x => x.name === name) ?? vol;
      const payload = await (this.atomicSource(current, v) ?? atomic).payload();
      if (writePayload(dir, payload)) this.opts.log.debug('volume content written', { pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`, volume: name });
    };
    try { await write(); } catch (e) { throw e instanceof VolumeError ? e : setupFailed(name, errText(e)); }
    return { hostPath: dir, readOnly: true, refresh: write };
  }

  private async setUpEmptyDir(uid: string, vol: Volume): Promise<ReadyVolume> {
    const ed = vol.emptyDir!;
    const dir = this.volumeDir(uid, PLUGIN.emptyDir, vol.name);
    fs.mkdirSync(dir, { recursive: true });
    let size = 0;
    if (ed.sizeLimit !== undefined) {
      try { size = parseQuantity(String(ed.sizeLimit)).value(); } catch (e) { throw setupFailed(vol.name, `invalid sizeLimit ${JSON.stringify(ed.sizeLimit)}: ${errText(e)}`); }
    }
    const medium = ed.medium ?? '';
    if (medium === '') {
      fs.chmodSync(dir, 0o777);
      return { hostPath: dir, readOnly: false };
    }
    if (medium !== 'Memory') throw setupFailed(vol.name, `emptyDir medium ${JSON.stringify(medium)} is not supported (use "" or "Memory")`);
    // upstream: tmpfs sized by sizeLimit, else by the node's memory
    const bytes = size > 0 ? size : os.totalmem();
    if (await this.tryTmpfs(dir, bytes, 0o777)) return { hostPath: dir, readOnly: false };
    return { hostPath: dir, readOnly: false, dockerTmpfs: `size=${bytes},mode=1777` };
  }

  private async tryTmpfs(dir: string, bytes: number, mode: number): Promise<boolean> {
    if (!this.hostTmpfs) return false;
    try { await mountTmpfs(dir, bytes, mode); return true; } catch (e) {
      this.hostTmpfs = false;
      this.opts.log.warn('cannot mount tmpfs on the host; memory volumes fall back to per-container tmpfs and secrets to disk', { error: errText(e) });
      return false;
    }
  }

  private async setUpClaim(pod: Pod, vol: Volume): Promise<ReadyVolume> {
    const ns = pod.metadata?.namespace ?? 'default';
    const claimName = vol.persistentVolumeClaim!.claimName;
    let pvc: PersistentVolumeClaim;
    try { pvc = await this.opts.kube.get<PersistentVolumeClaim>(PVC_RESOURCE, ns, claimName); } catch (e) {
      throw setupFailed(vol.name, isNotFound(e) ? `persistentvolumeclaim "${claimName}" not found` : `cannot get persistentvolumeclaim "${claimName}": ${errText(e)}`);
    }
    const pvName = pvc.spec?.volumeName;
    if (!pvName || (pvc.status?.phase && pvc.status.phase !== 'Bound')) throw setupFailed(vol.name, `error processing PVC ${ns}/${claimName}: PVC is not bound`);
    let pv: PersistentVolume;
    try { pv = await this.opts.kube.get<PersistentVolume>(PV_RESOURCE, undefined, pvName); } catch (e) {
      throw setupFailed(vol.name, isNotFound(e) ? `persistentvolume "${pvName}" not found` : `cannot get persistentvolume "${pvName}": ${errText(e)}`);
    }
    const ref = pv.spec?.claimRef;
    if (ref && (ref.name !== claimName || (ref.namespace && ref.namespace !== ns))) throw setupFailed(vol.name, `persistentvolume "${pvName}" is bound to another claim (${ref.namespace}/${ref.name})`);
    const readOnly = !!vol.persistentVolumeClaim!.readOnly;
    if (pv.spec?.hostPath) {
      try { checkHostPathType(pv.spec.hostPath.path, pv.spec.hostPath.type); } catch (e) { throw setupFailed(vol.name, errText(e)); }
      return { hostPath: pv.spec.hostPath.path, readOnly };
    }
    if (pv.spec?.local) {
      const p = pv.spec.local.path;
      if (!fs.existsSync(p)) throw setupFailed(vol.name, `path "${p}" of local persistentvolume "${pvName}" does not exist`);
      return { hostPath: p, readOnly };
    }
    throw setupFailed(vol.name, `persistentvolume "${pvName}" has an unsupported source: mk8s mounts hostPath and local volumes only`);
  }

  // --- API-data volumes: build the payload ---------------------------------------------------------------

  private atomicSource(pod: Pod, vol: Volume): { plugin: string; memory: boolean; payload: () => Promise<Payload> } | undefined {
    const name = vol.name;
    const ns = pod.metadata?.namespace ?? 'default';
    if (vol.configMap) {
      const s = vol.configMap;
      return { plugin: PLUGIN.configMap, memory: false, payload: async () => {
        const out: Payload = new Map();
        await this.addConfigMap(out, name, ns, s.name ?? '', s.items, s.optional, s.defaultMode ?? DEFAULT_MODE);
        return out;
      } };
    }
    if (vol.secret) {
      const s = vol.secret;
      return { plugin: PLUGIN.secret, memory: true, payload: async () => {
        const out: Payload = new Map();
        await this.addSecret(out, name, ns, s.secretName ?? '', s.items, s.optional, s.defaultMode ?? DEFAULT_MODE);
        return out;
      } };
    }
    if (vol.downwardAPI) {
      const s = vol.downwardAPI;
      return { plugin: PLUGIN.downwardAPI, memory: false, payload: async () => {
        const out: Payload = new Map();
        this.addDownward(out, name, pod, s.items, s.defaultMode ?? DEFAULT_MODE);
        return out;
      } };
    }
    if (vol.projected) {
      const p = vol.projected;
      return { plugin: PLUGIN.projected, memory: true, payload: async () => {
        const out: Payload = new Map();
        const mode = p.defaultMode ?? DEFAULT_MODE;
        for (const [i, src] of (p.sources ?? []).entries()) {
          if (src.configMap) await this.addConfigMap(out, name, ns, src.configMap.name ?? '', src.configMap.items, src.configMap.optional, mode);
          else if (src.secret) await this.addSecret(out, name, ns, src.secret.name ?? '', src.secret.items, src.secret.optional, mode);
          else if (src.downwardAPI) this.addDownward(out, name, pod, src.downwardAPI.items, mode);
          else if (src.serviceAccountToken) await this.addToken(out, name, pod, src.serviceAccountToken, mode);
          else throw setupFailed(name, `projected source ${i} (${Object.keys(src).join(',') || 'empty'}) is not supported: use configMap, secret, downwardAPI or serviceAccountToken`);
        }
        return out;
      } };
    }
    return undefined;
  }

  private put(out: Payload, vol: string, p: string, data: Buffer, mode: number): void {
    const err = validatePayloadPath(p);
    if (err) throw setupFailed(vol, err);
    if (!Number.isInteger(mode) || mode < 0 || mode > 0o777) throw setupFailed(vol, `file mode ${mode} of ${p} must be between 0 and 0777`);
    out.set(p, { data, mode });
  }

  /** keys -> files (all keys, or the items' key -> path with per-item mode); upstream's MakePayload. */
  private addKeys(out: Payload, vol: string, what: string, data: Map<string, Buffer>, items: KeyToPath[] | undefined, optional: boolean | undefined, mode: number): void {
    if (!items?.length) { for (const [k, v] of data) this.put(out, vol, k, v, mode); return; }
    for (const it of items) {
      const v = data.get(it.key);
      if (v === undefined) {
        if (optional) continue;
        throw setupFailed(vol, `${what} references non-existent ${what === 'secret' ? 'secret' : 'config'} key: ${it.key}`);
      }
      this.put(out, vol, it.path, v, it.mode ?? mode);
    }
  }

  private async fetch<T>(vol: string, r: Resource, ns: string, name: string, what: string, optional: boolean | undefined): Promise<T | undefined> {
    if (!name) throw setupFailed(vol, `${what} name is empty`);
    try { return await this.opts.kube.get<T>(r, ns, name); } catch (e) {
      if (isNotFound(e)) {
        if (optional) return undefined;
        throw setupFailed(vol, `${what} "${name}" not found`);
      }
      throw setupFailed(vol, `cannot get ${what} "${name}": ${errText(e)}`);
    }
  }

  private async addConfigMap(out: Payload, vol: string, ns: string, name: string, items: KeyToPath[] | undefined, optional: boolean | undefined, mode: number) {
    const cm = await this.fetch<ConfigMap>(vol, resources.configmaps, ns, name, 'configmap', optional);
    if (!cm) return;
    const data = new Map<string, Buffer>();
    for (const [k, v] of Object.entries(cm.data ?? {})) data.set(k, Buffer.from(v, 'utf8'));
    for (const [k, v] of Object.entries(cm.binaryData ?? {})) data.set(k, Buffer.from(v, 'base64'));
    this.addKeys(out, vol, 'configmap', data, items, optional, mode);
  }

  private async addSecret(out: Payload, vol: string, ns: string, name: string, items: KeyToPath[] | undefined, optional: boolean | undefined, mode: number) {
    const s = await this.fetch<Secret>(vol, resources.secrets, ns, name, 'secret', optional);
    if (!s) return;
    const data = new Map<string, Buffer>();
    for (const [k, v] of Object.entries(s.stringData ?? {})) data.set(k, Buffer.from(v, 'utf8'));
    for (const [k, v] of Object.entries(s.data ?? {})) data.set(k, Buffer.from(v, 'base64'));
    this.addKeys(out, vol, 'secret', data, items, optional, mode);
  }

  private addDownward(out: Payload, vol: string, pod: Pod, items: DownwardAPIVolumeFile[] | undefined, mode: number) {
    for (const it of items ?? []) {
      let value: string;
      try {
        if (it.fieldRef) value = fieldRefValue(pod, it.fieldRef);
        else if (it.resourceFieldRef) value = resourceFieldValue(pod, it.resourceFieldRef);
        else throw new Error(`item ${it.path} needs fieldRef or resourceFieldRef`);
      } catch (e) { throw setupFailed(vol, errText(e)); }
      this.put(out, vol, it.path, Buffer.from(value, 'utf8'), it.mode ?? mode);
    }
  }

  private async addToken(out: Payload, vol: string, pod: Pod, src: ServiceAccountTokenProjection, mode: number) {
    const ns = pod.metadata?.namespace ?? 'default';
    const sa = pod.spec?.serviceAccountName || 'default';
    const exp = src.expirationSeconds ?? TOKEN_DEFAULT_EXPIRATION;
    const key = `${pod.metadata?.uid}/${sa}/${src.audience ?? ''}/${exp}`;
    const cached = this.tokens.get(key);
    if (cached && Date.now() < cached.refreshAt) { this.put(out, vol, src.path, Buffer.from(cached.token), mode); return; }
    const kube = this.opts.kube;
    if (!kube.createSubresource) throw setupFailed(vol, 'failed to fetch token: this kubelet has no API client that can request tokens');
    const req = {
      apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest',
      spec: {
        audiences: src.audience ? [src.audience] : [], expirationSeconds: exp,
        boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name, uid: pod.metadata?.uid },
      },
    };
    let res: any;
    try { res = await kube.createSubresource(resources.serviceaccounts, ns, sa, 'token', req); } catch (e) {
      if (cached) { this.put(out, vol, src.path, Buffer.from(cached.token), mode); return; } // keep serving until it expires
      const hint = isNotFound(e) && /the server could not find the requested resource|404 page/i.test(errText(e))
        ? 'the apiserver does not serve serviceaccounts/token' : errText(e);
      throw setupFailed(vol, `failed to fetch token: ${hint}`);
    }
    const token = res?.status?.token;
    if (typeof token !== 'string' || !token) throw setupFailed(vol, 'failed to fetch token: TokenRequest answer has no status.token');
    // refresh at 80 % of the lifetime, or after 24 h, as upstream's token manager
    const expiresAt = Date.parse(res.status.expirationTimestamp ?? '') || Date.now() + exp * 1000;
    const ttl = Math.max(0, expiresAt - Date.now());
    this.tokens.set(key, { token, refreshAt: Date.now() + Math.min(ttl * 0.8, 24 * 3600_000) });
    this.put(out, vol, src.path, Buffer.from(token), mode);
  }
}
