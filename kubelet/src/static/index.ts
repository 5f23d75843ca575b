// Static pods: manifests in a directory (--pod-manifest-path) that the kubelet runs without the apiserver,
// as upstream's file source (pkg/kubelet/config/file.go + common.go): re-read on inotify and every 20 s,
// defaulted (namespace, node name, `<name>-<node>` name, content-derived UID, config annotations).
// The mirroring to the apiserver is the sync loop's job.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { Logger } from '@mk8s/apimachinery';
import type { Pod } from 'kubernetes-types/core/v1';

export const CONFIG_SOURCE_ANNOTATION = 'kubernetes.io/config.source';
export const CONFIG_HASH_ANNOTATION = 'kubernetes.io/config.hash';
export const CONFIG_SEEN_ANNOTATION = 'kubernetes.io/config.seen';
export const CONFIG_MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';

/** Upstream's file source re-lists its path every 20 s besides inotify. */
export const RESCAN_PERIOD_MS = 20_000;
const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);
// DNS-1123 subdomain: what a pod name must be after `<name>-<node>`.
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A manifest problem: which file, which line (1-based, when known), what is wrong. */
export class ManifestError extends Error {
  constructor(readonly file: string, readonly line: number | undefined, msg: string) {
    super(`${file}${line ? `:${line}` : ''}: ${msg}`);
  }
}

/** JSON with object keys sorted, so the hash of a pod does not depend on key order in the file. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().filter(k => (v as any)[k] !== undefined)
      .map(k => `${JSON.stringify(k)}:${canonicalJson((v as any)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** md5 over the pod as written, the node name and the file, as upstream's applyDefaults does. */
export function staticPodUid(pod: unknown, nodeName: string, file: string): string {
  return crypto.createHash('md5').update(canonicalJson(pod)).update(`host:${nodeName}`).update(`file:${file}`).digest('hex');
}

/** Upstream's generatePodName: `<name>-<lowercased node name>`. */
export function staticPodName(name: string, nodeName: string): string {
  return `${name}-${nodeName.toLowerCase()}`;
}

/** Parses one manifest file into defaulted pods; throws ManifestError naming the file and line. */
export function parseManifestFile(file: string, text: string, nodeName: string): Pod[] {
  const docs = file.endsWith('.json') ? [parseJson(file, text)] : parseYamlDocs(file, text);
  const pods: Pod[] = [];
  docs.forEach(({ value, line }) => {
    if (value === null || value === undefined) return; // empty document (e.g. a trailing ---)
    pods.push(defaultStaticPod(file, line, value, nodeName));
  });
  return pods;
}

function parseJson(file: string, text: string): { value: unknown; line: number } {
  try { return { value: JSON.parse(text), line: 1 }; } catch (e) {
    const m = /position (\d+)/.exec((e as Error).message);
    const line = m ? text.slice(0, Number(m[1])).split('\n').length : undefined;
    throw new ManifestError(file, line, `invalid JSON: ${(e as Error).message}`);
  }
}

function parseYamlDocs(file: string, text: string): { value: unknown; line: number }[] {
  const lineCounter = new YAML.LineCounter();
  const docs = YAML.parseAllDocuments(text, { lineCounter });
  const list = Array.isArray(docs) ? docs : [docs];
  const out: { value: unknown; line: number }[] = [];
  for (const doc of list) {
    const err = doc.errors[0];
    if (err) throw new ManifestError(file, err.linePos?.[0].line, `invalid YAML: ${err.message.split('\n')[0]}`);
    const start = doc.contents?.range?.[0] ?? doc.range[0];
    out.push({ value: doc.toJS(), line: lineCounter.linePos(start).line });
  }
  return out;
}

function defaultStaticPod(file: string, line: number, value: unknown, nodeName: string): Pod {
  const fail = (msg: string) => { throw new ManifestError(file, line, msg); };
  if (typeof value !== 'object' || Array.isArray(value)) fail('a manifest must be a Pod object');
  const raw = value as Record<string, any>;
  if (raw.kind !== 'Pod') fail(`kind ${JSON.stringify(raw.kind)} is not a static pod manifest (want kind: Pod)`);
  if (raw.apiVersion !== undefined && raw.apiVersion !== 'v1') fail(`apiVersion ${JSON.stringify(raw.apiVersion)} is not v1`);
  const name = raw.metadata?.name;
  if (typeof name !== 'string' || !name) fail('metadata.name is required');
  const podName = staticPodName(name, nodeName);
  if (!DNS1123_SUBDOMAIN.test(podName) || podName.length > 253) fail(`pod name ${JSON.stringify(podName)} is not a valid DNS-1123 subdomain`);
  const containers = raw.spec?.containers;
  if (!Array.isArray(containers) || containers.length === 0) fail('spec.containers must list at least one container');
  containers.forEach((c: any, i: number) => {
    if (!c || typeof c.name !== 'string' || !c.name) fail(`spec.containers[${i}].name is required`);
    if (typeof c.image !== 'string' || !c.image) fail(`spec.containers[${i}].image is required`);
  });
  const namespace = raw.metadata?.namespace;
  if (namespace !== undefined && (typeof namespace !== 'string' || !DNS1123_SUBDOMAIN.test(namespace))) fail(`metadata.namespace ${JSON.stringify(namespace)} is invalid`);

  const uid = typeof raw.metadata?.uid === 'string' && raw.metadata.uid ? raw.metadata.uid : staticPodUid(raw, nodeName, file);
  const pod: Pod = JSON.parse(JSON.stringify(raw));
  pod.apiVersion = 'v1';
  pod.metadata = {
    ...pod.metadata,
    name: podName,
    namespace: namespace || 'default',
    uid,
    annotations: { ...(pod.metadata?.annotations ?? {}), [CONFIG_HASH_ANNOTATION]: uid, [CONFIG_SOURCE_ANNOTATION]: 'file' },
  };
  pod.spec = { ...pod.spec!, nodeName };
  // A static pod must keep running on its node whatever NoExecute taints it gets.
  const tolerations = [...(pod.spec.tolerations ?? [])];
  if (!tolerations.some(t => t.operator === 'Exists' && !t.key && t.effect === 'NoExecute')) tolerations.push({ operator: 'Exists', effect: 'NoExecute' });
  pod.spec.tolerations = tolerations;
  (pod as { status?: unknown }).status = { phase: 'Pending' };
  return pod;
}

export interface StaticPodSourceOptions { dir: string; nodeName: string; log: Logger; rescanMs?: number }

/** Watches a manifest dir and reports the whole set of static pods whenever it changes (and once at start). */
export class StaticPodSource {
  private watcher?: fs.FSWatcher;
  private timer?: NodeJS.Timeout;
  private debounce?: NodeJS.Timeout;
  private onChange?: (pods: Pod[]) => void;
  private lastKey?: string;
  /** uid -> when it was first seen: the config.seen annotation stays stable across rescans. */
  private seen = new Map<string, string>();
  /** file -> last reported error, so a broken file is logged once per change, not every 20 s. */
  private reported = new Map<string, string>();
  private dirMissingLogged = false;
  private stopped = false;

  constructor(private readonly opts: StaticPodSourceOptions) {}

  start(onChange: (pods: Pod[]) => void): void {
    this.onChange = onChange;
    this.stopped = false;
    this.rescan();
    this.timer = setInterval(() => this.rescan(), this.opts.rescanMs ?? RESCAN_PERIOD_MS);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.debounce) clearTimeout(this.debounce);
    this.watcher?.close();
    this.watcher = undefined;
  }

  private ensureWatch(): void {
    if (this.watcher || this.stopped) return;
    try {
      this.watcher = fs.watch(this.opts.dir, () => this.scheduleRescan());
      this.watcher.on('error', e => {
        this.opts.log.warn('static pod dir watch failed; relying on the periodic rescan', { dir: this.opts.dir, error: e.message });
        this.watcher?.close(); this.watcher = undefined;
      });
    } catch (e) {
      this.opts.log.warn('cannot watch static pod dir', { dir: this.opts.dir, error: (e as Error).message });
    }
  }

  // Editors write files in several steps; one read 100 ms after the last event sees the finished file.
  private scheduleRescan(): void {
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => this.rescan(), 100);
    this.debounce.unref();
  }

  /** Reads every manifest now; calls onChange when the set of pods differs from the last report. */
  rescan(): void {
    if (this.stopped) return;
    const pods = this.readAll();
    for (const p of pods) {
      const uid = p.metadata!.uid!;
      if (!this.seen.has(uid)) this.seen.set(uid, new Date().toISOString());
      p.metadata!.annotations![CONFIG_SEEN_ANNOTATION] = this.seen.get(uid)!;
    }
    const live = new Set(pods.map(p => p.metadata!.uid!));
    for (const uid of this.seen.keys()) if (!live.has(uid)) this.seen.delete(uid);
    const key = canonicalJson(pods);
    if (key === this.lastKey) return;
    this.lastKey = key;
    try { this.onChange?.(pods); } catch (e) {
      this.opts.log.error('static pod consumer failed', { error: (e as Error).message });
    }
  }

  private readAll(): Pod[] {
    const { dir, nodeName, log } = this.opts;
    let names: string[];
    try {
      names = fs.readdirSync(dir).sort();
      this.dirMissingLogged = false;
      this.ensureWatch();
    } catch (e) {
      if (!this.dirMissingLogged) log.warn('cannot read static pod manifest path; will retry', { dir, error: (e as Error).message });
      this.dirMissingLogged = true;
      this.watcher?.close(); this.watcher = undefined;
      return [];
    }
    const pods: Pod[] = [];
    const byName = new Map<string, string>();
    const files = new Set<string>();
    for (const n of names) {
      if (n.startsWith('.') || !MANIFEST_EXTENSIONS.has(path.extname(n))) continue; // upstream skips dot-files
      const file = path.join(dir, n);
      files.add(file);
      try {
        const st = fs.statSync(file);
        if (!st.isFile()) continue;
        const filePods = parseManifestFile(file, fs.readFileSync(file, 'utf8'), nodeName);
        for (const p of filePods) {
          const key = `${p.metadata!.namespace}/${p.metadata!.name}`;
          const other = byName.get(key);
          if (other) throw new ManifestError(file, undefined, `pod ${key} is also defined in ${other}`);
          byName.set(key, file);
        }
        pods.push(...filePods);
        this.reported.delete(file);
      } catch (e) {
        const msg = (e as Error).message;
        if (this.reported.get(file) !== msg) log.error('skipping bad static pod manifest', { file, error: msg });
        this.reported.set(file, msg);
      }
    }
    for (const f of this.reported.keys()) if (!files.has(f)) this.reported.delete(f);
    return pods;
  }
}
