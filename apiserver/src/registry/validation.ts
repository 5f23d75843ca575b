// Shared validation and defaulting helpers for the per-kind strategies, following upstream's
// k8s.io/apimachinery/pkg/util/validation, .../api/validation (ObjectMeta) and pkg/apis/core/validation (pod spec).
// Messages and field paths are upstream's so that kubectl users see the same 422 texts.
import { field, Quantity, type FieldError } from '@mk8s/apimachinery';

// ---------- name and label syntax (k8s.io/apimachinery/pkg/util/validation) ----------

const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const DNS1123_LABEL_RE = new RegExp(`^${DNS1123_LABEL_FMT}$`);
const DNS1123_SUBDOMAIN_RE = new RegExp(`^${DNS1123_SUBDOMAIN_FMT}$`);
const DNS1035_LABEL_FMT = '[a-z]([-a-z0-9]*[a-z0-9])?';
const DNS1035_LABEL_RE = new RegExp(`^${DNS1035_LABEL_FMT}$`);
const QUALIFIED_NAME_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const QUALIFIED_NAME_RE = new RegExp(`^${QUALIFIED_NAME_FMT}$`);
const LABEL_VALUE_FMT = `(${QUALIFIED_NAME_FMT})?`;
const LABEL_VALUE_RE = new RegExp(`^${LABEL_VALUE_FMT}$`);

/** Upstream's RegexError: the message plus examples and the regex. */
function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  return `${msg} (e.g. ${examples.map(e => `'${e}'`).join(',  or ')}, regex used for validation is '${fmt}')`;
}
export const maxLenError = (n: number) => `must be no more than ${n} characters`;
export const inclusiveRangeError = (lo: number, hi: number) => `must be between ${lo} and ${hi}, inclusive`;

export const DNS1123_LABEL_MAX = 63;
export const DNS1123_SUBDOMAIN_MAX = 253;

/** Error messages (empty when valid), as upstream IsDNS1123Label. */
export function isDNS1123Label(v: string): string[] {
  const errs: string[] = [];
  if (v.length > DNS1123_LABEL_MAX) errs.push(maxLenError(DNS1123_LABEL_MAX));
  if (!DNS1123_LABEL_RE.test(v)) {
    errs.push(regexError("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
      DNS1123_LABEL_FMT, 'my-name', '123-abc'));
  }
  return errs;
}

export function isDNS1123Subdomain(v: string): string[] {
  const errs: string[] = [];
  if (v.length > DNS1123_SUBDOMAIN_MAX) errs.push(maxLenError(DNS1123_SUBDOMAIN_MAX));
  if (!DNS1123_SUBDOMAIN_RE.test(v)) {
    errs.push(regexError("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
      DNS1123_SUBDOMAIN_FMT, 'example.com'));
  }
  return errs;
}

export function isDNS1035Label(v: string): string[] {
  const errs: string[] = [];
  if (v.length > DNS1123_LABEL_MAX) errs.push(maxLenError(DNS1123_LABEL_MAX));
  if (!DNS1035_LABEL_RE.test(v)) {
    errs.push(regexError("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
      DNS1035_LABEL_FMT, 'my-name', 'abc-123'));
  }
  return errs;
}

/** A qualified name: `[prefix/]name`, as label keys and annotation keys. */
export function isQualifiedName(v: string): string[] {
  const errs: string[] = [];
  const parts = v.split('/');
  let name: string;
  if (parts.length === 1) name = parts[0];
  else if (parts.length === 2) {
    const prefix = parts[0];
    name = parts[1];
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else for (const m of isDNS1123Subdomain(prefix)) errs.push(`prefix part ${m}`);
  } else {
    return [regexError("a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
      QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc') + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push(`name part ${maxLenError(63)}`);
  if (!QUALIFIED_NAME_RE.test(name)) {
    errs.push(`name part ${regexError("must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
      QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')}`);
  }
  return errs;
}

export function isValidLabelValue(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 63) errs.push(maxLenError(63));
  if (!LABEL_VALUE_RE.test(v)) {
    errs.push(regexError("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
      LABEL_VALUE_FMT, 'MyValue', 'my_value', '12345'));
  }
  return errs;
}

export function isValidPortNum(p: unknown): string[] {
  return Number.isInteger(p) && (p as number) >= 1 && (p as number) <= 65535 ? [] : [inclusiveRangeError(1, 65535)];
}

/** IANA_SVC_NAME, as upstream IsValidPortName. */
export function isValidPortName(port: string): string[] {
  const errs: string[] = [];
  if (port.length > 15) errs.push(maxLenError(15));
  if (!/^[-a-z0-9]+$/.test(port)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(port)) errs.push('must contain at least one letter (a-z)');
  if (port.includes('--')) errs.push('must not contain consecutive hyphens');
  if (port.length > 0 && (port.startsWith('-') || port.endsWith('-'))) errs.push('must not begin or end with a hyphen');
  return errs;
}

/** Env var names since RelaxedEnvironmentVariableValidation (default on in 1.32). */
export function isEnvVarName(v: string): string[] {
  return /^[\x20-\x3C\x3E-\x7E]+$/.test(v) ? [] : ["a valid environment variable name must consist only of printable ASCII characters other than '='"];
}

const CONFIG_KEY_FMT = '[-._a-zA-Z0-9]+';
/** Keys of ConfigMap/Secret data and projected items. */
export function isConfigMapKey(v: string): string[] {
  const errs: string[] = [];
  if (v.length > DNS1123_SUBDOMAIN_MAX) errs.push(maxLenError(DNS1123_SUBDOMAIN_MAX));
  if (!new RegExp(`^${CONFIG_KEY_FMT}$`).test(v)) {
    errs.push(regexError("a valid config key must consist of alphanumeric characters, '-', '_' or '.'", CONFIG_KEY_FMT, 'key.name', 'KEY_NAME', 'key-name'));
  }
  if (v === '.') errs.push("must not be '.'");
  else if (v === '..') errs.push("must not be '..'");
  else if (v.startsWith('..')) errs.push("must not start with '..'");
  return errs;
}

export function isValidIPv4(v: string): boolean {
  const parts = v.split('.');
  return parts.length === 4 && parts.every(p => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255);
}
export function isValidIP(v: string): boolean {
  if (isValidIPv4(v)) return true;
  // Loose IPv6 check: hex groups, one `::` at most.
  if (!/^[0-9a-fA-F:.]+$/.test(v) || !v.includes(':')) return false;
  const dbl = v.split('::').length - 1;
  if (dbl > 1) return false;
  const groups = v.split(':').filter(g => g !== '');
  return groups.length <= 8 && groups.every(g => /^[0-9a-fA-F]{1,4}$/.test(g) || isValidIPv4(g));
}

// ---------- small helpers ----------

const isObj = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);
const child = (path: string, name: string) => (path ? `${path}.${name}` : name);
const index = (path: string, i: number) => `${path}[${i}]`;
const key = (path: string, k: string) => `${path}[${k}]`;
export const fieldPath = { child, index, key };

function each(msgs: string[], path: string, value: unknown): FieldError[] {
  return msgs.map(m => field.invalid(path, value, m));
}

export function validateNonnegative(v: unknown, path: string): FieldError[] {
  if (v === undefined || v === null) return [];
  if (typeof v !== 'number' || !Number.isInteger(v)) return [field.invalid(path, v, 'must be an integer')];
  return v < 0 ? [field.invalid(path, v, 'must be greater than or equal to 0')] : [];
}

export function validateImmutable(newV: unknown, oldV: unknown, path: string): FieldError[] {
  return deepEqual(newV, oldV) ? [] : [field.invalid(path, newV, 'field is immutable')];
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
  }
  const ak = Object.keys(a as object).filter(k => (a as any)[k] !== undefined);
  const bk = Object.keys(b as object).filter(k => (b as any)[k] !== undefined);
  return ak.length === bk.length && ak.every(k => deepEqual((a as any)[k], (b as any)[k]));
}

// ---------- quantities (private-ish: a full one lives in apimachinery later) ----------

const QUANTITY_RE = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;
const SUFFIX: Record<string, number> = {
  '': 1, n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};
export const QUANTITY_FORMAT_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

/** Numeric value of a resource quantity (float; enough to compare), or undefined if it does not parse. */
export function parseQuantity(q: unknown): number | undefined {
  if (typeof q === 'number') return Number.isFinite(q) ? q : undefined;
  if (typeof q !== 'string') return undefined;
  const m = QUANTITY_RE.exec(q.trim());
  if (!m) return undefined;
  const num = Number(m[1]);
  if (!Number.isFinite(num) || m[1] === '.' || (m[1].match(/\./g) ?? []).length > 1) return undefined;
  const suf = m[2];
  if (suf in SUFFIX) return num * SUFFIX[suf];
  const exp = /^[eE]([-+]?[0-9]+)$/.exec(suf);
  if (exp) return num * 10 ** Number(exp[1]);
  return undefined;
}

/** An exact quantity (apimachinery's), or undefined when the value is not a valid quantity string/number. */
export function toQuantity(q: unknown): Quantity | undefined {
  if (typeof q === 'number') q = String(q);
  if (typeof q !== 'string') return undefined;
  try { return Quantity.parse(q); } catch { return undefined; }
}
/** The canonical string upstream prints (Quantity.String()), or the raw value when it does not parse. */
export const quantityText = (q: unknown): string => toQuantity(q)?.toString() ?? String(q);

/** A map of resource name -> quantity (requests, limits, capacity, hard...). */
export function validateResourceList(list: unknown, path: string, opts: { allowNegative?: boolean } = {}): FieldError[] {
  if (list === undefined || list === null) return [];
  if (!isObj(list)) return [field.invalid(path, list, 'must be a map of resource name to quantity')];
  const errs: FieldError[] = [];
  for (const [name, q] of Object.entries(list)) {
    const p = key(path, name);
    for (const m of isQualifiedName(name)) errs.push(field.invalid(p, name, m));
    const v = toQuantity(q);
    if (v === undefined) errs.push(field.invalid(p, q, QUANTITY_FORMAT_ERROR));
    else if (!opts.allowNegative && v.sign() < 0) errs.push(field.invalid(p, v.toString(), 'must be greater than or equal to 0'));
  }
  return errs;
}

// ---------- ObjectMeta ----------

const TOTAL_ANNOTATION_SIZE = 256 * 1024;

export interface ObjectMetaOptions {
  namespaced: boolean;
  /** Name validator returning messages; default DNS-1123 subdomain. `prefix` is true for generateName. */
  nameValidator?: (name: string, prefix: boolean) => string[];
  /** Field path of the metadata; default `metadata`. */
  path?: string;
}

/** Name validators as upstream: for generateName the trailing '-' is allowed (a suffix is appended). */
export const nameIsDNSSubdomain = (n: string, prefix: boolean) => isDNS1123Subdomain(prefix ? maskTrailingDash(n) : n);
export const nameIsDNSLabel = (n: string, prefix: boolean) => isDNS1123Label(prefix ? maskTrailingDash(n) : n);
export const nameIsDNS1035Label = (n: string, prefix: boolean) => isDNS1035Label(prefix ? maskTrailingDash(n) : n);
/** Path segment names (e.g. RBAC, serviceaccounts allow subdomain). */
export const nameIsPathSegment = (n: string, prefix: boolean): string[] => {
  const errs: string[] = [];
  if (!prefix && (n === '.' || n === '..')) errs.push(`may not be '${n}'`);
  for (const bad of ['/', '%']) if (n.includes(bad)) errs.push(`may not contain '${bad}'`);
  return errs;
};
function maskTrailingDash(n: string): string {
  return n.length > 1 && n.endsWith('-') ? `${n.slice(0, -1)}a` : n;
}

export function validateLabels(labels: unknown, path: string): FieldError[] {
  if (labels === undefined || labels === null) return [];
  if (!isObj(labels)) return [field.invalid(path, labels, 'must be a map of string keys and values')];
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels)) {
    errs.push(...each(isQualifiedName(k), path, k));
    if (typeof v !== 'string') errs.push(field.invalid(path, v, 'label values must be strings'));
    else errs.push(...each(isValidLabelValue(v), path, v));
  }
  return errs;
}

export function validateAnnotations(ann: unknown, path: string): FieldError[] {
  if (ann === undefined || ann === null) return [];
  if (!isObj(ann)) return [field.invalid(path, ann, 'must be a map of string keys and values')];
  const errs: FieldError[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(ann)) {
    errs.push(...each(isQualifiedName(k.toLowerCase()), path, k));
    if (typeof v !== 'string') errs.push(field.invalid(key(path, k), v, 'annotation values must be strings'));
    total += Buffer.byteLength(k) + Buffer.byteLength(typeof v === 'string' ? v : String(v));
  }
  if (total > TOTAL_ANNOTATION_SIZE) errs.push(field.tooLong(path, '', TOTAL_ANNOTATION_SIZE));
  return errs;
}

export function validateFinalizers(fins: unknown, path: string): FieldError[] {
  if (fins === undefined || fins === null) return [];
  if (!Array.isArray(fins)) return [field.invalid(path, fins, 'must be a list of strings')];
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < fins.length; i++) {
    const f = fins[i];
    if (typeof f !== 'string') { errs.push(field.invalid(index(path, i), f, 'must be a string')); continue; }
    errs.push(...each(isQualifiedName(f), path, f));
    if (seen.has(f)) errs.push(field.duplicate(index(path, i), f));
    seen.add(f);
  }
  if (seen.has('orphan') && seen.has('foregroundDeletion')) {
    errs.push(field.invalid(path, fins, 'finalizer orphan and foregroundDeletion cannot be both set'));
  }
  return errs;
}

export function validateOwnerReferences(refs: unknown, path: string): FieldError[] {
  if (refs === undefined || refs === null) return [];
  if (!Array.isArray(refs)) return [field.invalid(path, refs, 'must be a list of owner references')];
  const errs: FieldError[] = [];
  const controllers: string[] = [];
  for (const r of refs) {
    if (!isObj(r)) { errs.push(field.invalid(path, r, 'must be an object')); continue; }
    if (!r.apiVersion) errs.push(field.invalid(child(path, 'apiVersion'), r.apiVersion ?? '', 'version must not be empty'));
    if (!r.kind) errs.push(field.invalid(child(path, 'kind'), r.kind ?? '', 'kind must not be empty'));
    if (!r.name) errs.push(field.invalid(child(path, 'name'), r.name ?? '', 'name must not be empty'));
    if (!r.uid) errs.push(field.invalid(child(path, 'uid'), r.uid ?? '', 'uid must not be empty'));
    if (r.controller === true) controllers.push(`${r.kind ?? ''}/${r.name ?? ''}`);
  }
  if (controllers.length > 1) {
    errs.push(field.invalid(path, refs, `Only one reference can have Controller set to true. Found "true" in references for ${controllers.join(' and ')}`));
  }
  return errs;
}

/** Upstream ValidateObjectMeta. */
export function validateObjectMeta(meta: any, opts: ObjectMetaOptions): FieldError[] {
  const path = opts.path ?? 'metadata';
  if (!isObj(meta)) return [field.required(path, '')];
  const nameFn = opts.nameValidator ?? nameIsDNSSubdomain;
  const errs: FieldError[] = [];
  if (meta.generateName) errs.push(...each(nameFn(String(meta.generateName), true), child(path, 'generateName'), meta.generateName));
  if (!meta.name) {
    errs.push(field.required(child(path, 'name'), 'name or generateName is required'));
  } else if (typeof meta.name !== 'string') {
    errs.push(field.invalid(child(path, 'name'), meta.name, 'must be a string'));
  } else {
    errs.push(...each(nameFn(meta.name, false), child(path, 'name'), meta.name));
  }
  if (opts.namespaced) {
    if (!meta.namespace) errs.push(field.required(child(path, 'namespace'), ''));
    else errs.push(...each(isDNS1123Label(String(meta.namespace)), child(path, 'namespace'), meta.namespace));
  } else if (meta.namespace) {
    errs.push(field.forbidden(child(path, 'namespace'), 'not allowed on this type'));
  }
  errs.push(...validateNonnegative(meta.generation, child(path, 'generation')));
  errs.push(...validateLabels(meta.labels, child(path, 'labels')));
  errs.push(...validateAnnotations(meta.annotations, child(path, 'annotations')));
  errs.push(...validateOwnerReferences(meta.ownerReferences, child(path, 'ownerReferences')));
  errs.push(...validateFinalizers(meta.finalizers, child(path, 'finalizers')));
  return errs;
}

/** Upstream ValidateObjectMetaUpdate: identity fields are immutable; no new finalizers while deleting. */
export function validateObjectMetaUpdate(meta: any, old: any, path = 'metadata'): FieldError[] {
  if (!isObj(meta) || !isObj(old)) return [];
  const errs: FieldError[] = [];
  for (const f of ['name', 'namespace', 'uid'] as const) {
    if ((meta[f] ?? '') !== (old[f] ?? '')) errs.push(field.invalid(child(path, f), meta[f] ?? '', 'field is immutable'));
  }
  if (old.creationTimestamp && meta.creationTimestamp !== old.creationTimestamp) {
    errs.push(field.invalid(child(path, 'creationTimestamp'), meta.creationTimestamp ?? null, 'field is immutable'));
  }
  if (meta.deletionTimestamp !== undefined && meta.deletionTimestamp !== old.deletionTimestamp) {
    errs.push(field.invalid(child(path, 'deletionTimestamp'), meta.deletionTimestamp, 'field is immutable; may only be changed via deletion'));
  }
  if (meta.deletionGracePeriodSeconds !== undefined && meta.deletionGracePeriodSeconds !== old.deletionGracePeriodSeconds) {
    errs.push(field.invalid(child(path, 'deletionGracePeriodSeconds'), meta.deletionGracePeriodSeconds, 'field is immutable; may only be changed via deletion'));
  }
  if (old.deletionTimestamp && Array.isArray(meta.finalizers)) {
    const had = new Set<string>(old.finalizers ?? []);
    const added = (meta.finalizers as string[]).filter(f => !had.has(f));
    if (added.length) {
      errs.push(field.forbidden(child(path, 'finalizers'),
        `no new finalizers can be added if the object is being deleted, found new finalizers []string{${[...new Set(added)].sort().map(f => JSON.stringify(f)).join(', ')}}`));
    }
  }
  return errs;
}

// ---------- label selectors ----------

const SELECTOR_OPS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

/** A metav1.LabelSelector {matchLabels, matchExpressions}. */
export function validateLabelSelector(sel: unknown, path: string): FieldError[] {
  if (sel === undefined || sel === null) return [];
  if (!isObj(sel)) return [field.invalid(path, sel, 'must be a label selector object')];
  const errs: FieldError[] = [];
  errs.push(...validateLabels(sel.matchLabels, child(path, 'matchLabels')));
  const exprs = sel.matchExpressions;
  if (exprs !== undefined && exprs !== null) {
    if (!Array.isArray(exprs)) errs.push(field.invalid(child(path, 'matchExpressions'), exprs, 'must be a list'));
    else exprs.forEach((e, i) => {
      const p = index(child(path, 'matchExpressions'), i);
      if (!isObj(e)) { errs.push(field.invalid(p, e, 'must be an object')); return; }
      const values = Array.isArray(e.values) ? e.values : [];
      if (e.operator === 'In' || e.operator === 'NotIn') {
        if (values.length === 0) errs.push(field.required(child(p, 'values'), 'must be specified when `operator` is \'In\' or \'NotIn\''));
      } else if (e.operator === 'Exists' || e.operator === 'DoesNotExist') {
        if (values.length > 0) errs.push(field.forbidden(child(p, 'values'), 'may not be specified when `operator` is \'Exists\' or \'DoesNotExist\''));
      } else {
        errs.push(field.invalid(child(p, 'operator'), e.operator ?? '', 'not a valid selector operator'));
      }
      errs.push(...each(isQualifiedName(String(e.key ?? '')), child(p, 'key'), e.key ?? ''));
      values.forEach((v: unknown, j: number) => {
        errs.push(...each(isValidLabelValue(String(v)), index(child(p, 'values'), j), v));
      });
    });
  }
  return errs;
}
export { SELECTOR_OPS };

/** Does a LabelSelector (matchLabels + matchExpressions) match these labels? Empty selector matches everything. */
export function labelSelectorMatches(sel: any, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  for (const [k, v] of Object.entries(sel?.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const e of sel?.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(l, e.key);
    const vals: string[] = e.values ?? [];
    switch (e.operator) {
      case 'In': if (!has || !vals.includes(l[e.key])) return false; break;
      case 'NotIn': if (has && vals.includes(l[e.key])) return false; break;
      case 'Exists': if (!has) return false; break;
      case 'DoesNotExist': if (has) return false; break;
      default: return false;
    }
  }
  return true;
}

// ---------- pod spec ----------

// The order upstream checks volume sources; the second one found is reported as forbidden.
const VOLUME_SOURCES = ['emptyDir', 'hostPath', 'gitRepo', 'gcePersistentDisk', 'awsElasticBlockStore', 'secret', 'nfs',
  'iscsi', 'glusterfs', 'flocker', 'persistentVolumeClaim', 'rbd', 'cinder', 'cephfs', 'quobyte', 'downwardAPI', 'fc',
  'flexVolume', 'configMap', 'azureFile', 'vsphereVolume', 'photonPersistentDisk', 'portworxVolume', 'azureDisk',
  'storageos', 'projected', 'scaleIO', 'csi', 'ephemeral', 'image'];
const HOST_PATH_TYPES = ['', 'DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket', 'CharDevice', 'BlockDevice'];
const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const TERMINATION_MESSAGE_POLICIES = ['FallbackToLogsOnError', 'File'];
const TAINT_EFFECTS = ['NoExecute', 'NoSchedule', 'PreferNoSchedule'];
const NODE_SELECTOR_OPS = ['DoesNotExist', 'Exists', 'Gt', 'In', 'Lt', 'NotIn'];
const PROBE_HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'grpc'];
const LIFECYCLE_HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'sleep'];
const STANDARD_CONTAINER_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);

function validateVolumes(vols: unknown, path: string): { names: Set<string>; errs: FieldError[] } {
  const names = new Set<string>();
  const errs: FieldError[] = [];
  if (vols === undefined || vols === null) return { names, errs };
  if (!Array.isArray(vols)) return { names, errs: [field.invalid(path, vols, 'must be a list of volumes')] };
  vols.forEach((v, i) => {
    const p = index(path, i);
    if (!isObj(v)) { errs.push(field.invalid(p, v, 'must be an object')); return; }
    if (!v.name) errs.push(field.required(child(p, 'name'), ''));
    else if (names.has(v.name)) errs.push(field.duplicate(child(p, 'name'), v.name));
    else errs.push(...each(isDNS1123Label(String(v.name)), child(p, 'name'), v.name));
    if (v.name) names.add(v.name);
    let n = 0;
    for (const src of VOLUME_SOURCES) {
      if (v[src] === undefined || v[src] === null) continue;
      if (n > 0) { errs.push(field.forbidden(child(p, src), 'may not specify more than 1 volume type')); continue; }
      n++;
      errs.push(...validateVolumeSource(src, v[src], child(p, src)));
    }
    if (n === 0) errs.push(field.required(p, 'must specify a volume type'));
  });
  return { names, errs };
}

function validateMode(mode: unknown, path: string): FieldError[] {
  if (mode === undefined || mode === null) return [];
  if (!Number.isInteger(mode) || (mode as number) < 0 || (mode as number) > 0o777) {
    return [field.invalid(path, mode, 'must be a number between 0 and 0777 (octal), both inclusive')];
  }
  return [];
}

function validateKeyToPaths(items: unknown, path: string): FieldError[] {
  if (!Array.isArray(items)) return [];
  const errs: FieldError[] = [];
  items.forEach((it, i) => {
    const p = index(path, i);
    if (!it?.key) errs.push(field.required(child(p, 'key'), ''));
    if (!it?.path) errs.push(field.required(child(p, 'path'), ''));
    else errs.push(...validateLocalDescendingPath(String(it.path), child(p, 'path')));
    errs.push(...validateMode(it?.mode, child(p, 'mode')));
  });
  return errs;
}

function validateLocalDescendingPath(p: string, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (p.startsWith('/')) errs.push(field.invalid(path, p, 'must be a relative path'));
  if (p.split('/').includes('..')) errs.push(field.invalid(path, p, "must not contain '..'"));
  return errs;
}

function validateVolumeSource(kind: string, src: any, path: string): FieldError[] {
  const errs: FieldError[] = [];
  switch (kind) {
    case 'hostPath':
      if (!src.path) errs.push(field.required(child(path, 'path'), ''));
      else if (String(src.path).split('/').includes('..')) errs.push(field.invalid(child(path, 'path'), src.path, "must not contain '..'"));
      if (src.type !== undefined && src.type !== null && !HOST_PATH_TYPES.includes(src.type)) {
        errs.push(field.notSupported(child(path, 'type'), src.type, HOST_PATH_TYPES));
      }
      break;
    case 'configMap':
      if (!src.name) errs.push(field.required(child(path, 'name'), ''));
      errs.push(...validateMode(src.defaultMode, child(path, 'defaultMode')), ...validateKeyToPaths(src.items, child(path, 'items')));
      break;
    case 'secret':
      if (!src.secretName) errs.push(field.required(child(path, 'secretName'), ''));
      errs.push(...validateMode(src.defaultMode, child(path, 'defaultMode')), ...validateKeyToPaths(src.items, child(path, 'items')));
      break;
    case 'persistentVolumeClaim':
      if (!src.claimName) errs.push(field.required(child(path, 'claimName'), ''));
      break;
    case 'emptyDir':
      if (src.sizeLimit !== undefined && !((toQuantity(src.sizeLimit)?.sign() ?? -1) >= 0)) {
        errs.push(field.forbidden(child(path, 'sizeLimit'), 'SizeLimit field must be a valid resource quantity'));
      }
      break;
    case 'nfs':
      if (!src.server) errs.push(field.required(child(path, 'server'), ''));
      if (!src.path) errs.push(field.required(child(path, 'path'), ''));
      else if (!String(src.path).startsWith('/')) errs.push(field.invalid(child(path, 'path'), src.path, 'must be an absolute path'));
      break;
    case 'projected':
      errs.push(...validateMode(src.defaultMode, child(path, 'defaultMode')));
      break;
    case 'downwardAPI':
      errs.push(...validateMode(src.defaultMode, child(path, 'defaultMode')));
      break;
  }
  return errs;
}

function validateHandlers(h: unknown, path: string, kinds: string[], missingDetail: string): FieldError[] {
  if (!isObj(h)) return [field.invalid(path, h, 'must be an object')];
  const errs: FieldError[] = [];
  let n = 0;
  for (const k of kinds) {
    if (h[k] === undefined || h[k] === null) continue;
    if (n > 0) { errs.push(field.forbidden(child(path, k), 'may not specify more than 1 handler type')); continue; }
    n++;
    const p = child(path, k);
    const a = h[k];
    if (k === 'exec' && (!Array.isArray(a.command) || a.command.length === 0)) errs.push(field.required(child(p, 'command'), ''));
    if (k === 'httpGet' || k === 'tcpSocket') {
      errs.push(...validatePortNumOrName(a.port, child(p, 'port')));
      if (k === 'httpGet') {
        if (!a.path) errs.push(field.required(child(p, 'path'), ''));
        if (a.scheme !== undefined && !['HTTP', 'HTTPS'].includes(a.scheme)) errs.push(field.notSupported(child(p, 'scheme'), a.scheme, ['HTTP', 'HTTPS']));
      }
    }
    if (k === 'grpc') errs.push(...each(isValidPortNum(a.port), child(p, 'port'), a.port));
    if (k === 'sleep' && !(Number.isInteger(a.seconds) && a.seconds >= 0)) errs.push(field.invalid(child(p, 'seconds'), a.seconds, inclusiveRangeError(0, 2147483647)));
  }
  if (n === 0) errs.push(field.required(path, missingDetail));
  return errs;
}

function validatePortNumOrName(port: unknown, path: string): FieldError[] {
  if (typeof port === 'number') return each(isValidPortNum(port), path, port);
  if (typeof port === 'string' && port !== '') {
    if (/^[0-9]+$/.test(port)) return each(isValidPortNum(Number(port)), path, port);
    return each(isValidPortName(port), path, port);
  }
  return [field.required(path, '')];
}

function validateProbe(probe: unknown, path: string, isLiveness: boolean): FieldError[] {
  if (probe === undefined || probe === null) return [];
  if (!isObj(probe)) return [field.invalid(path, probe, 'must be an object')];
  const errs = validateHandlers(probe, path, PROBE_HANDLERS, 'must specify a handler type');
  for (const f of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold']) {
    errs.push(...validateNonnegative(probe[f], child(path, f)));
  }
  if (isLiveness && probe.successThreshold !== undefined && probe.successThreshold !== 1) {
    errs.push(field.invalid(child(path, 'successThreshold'), probe.successThreshold, 'must be 1'));
  }
  if (probe.terminationGracePeriodSeconds !== undefined && !(Number.isInteger(probe.terminationGracePeriodSeconds) && probe.terminationGracePeriodSeconds > 0)) {
    errs.push(field.invalid(child(path, 'terminationGracePeriodSeconds'), probe.terminationGracePeriodSeconds, 'must be greater than 0'));
  }
  return errs;
}

/** Container resources: names, quantities, requests <= limits. */
export function validateResourceRequirements(res: unknown, path: string): FieldError[] {
  if (res === undefined || res === null) return [];
  if (!isObj(res)) return [field.invalid(path, res, 'must be an object')];
  const errs: FieldError[] = [];
  for (const part of ['limits', 'requests'] as const) {
    const list = res[part];
    errs.push(...validateResourceList(list, child(path, part)));
    if (!isObj(list)) continue;
    for (const name of Object.keys(list)) {
      if (!name.includes('/') && !STANDARD_CONTAINER_RESOURCES.has(name) && !name.startsWith('hugepages-')) {
        errs.push(field.invalid(key(child(path, part), name), name, 'must be a standard resource for containers'));
      }
    }
  }
  if (isObj(res.requests) && isObj(res.limits)) {
    for (const [name, q] of Object.entries(res.requests)) {
      if (!(name in res.limits)) continue;
      const req = toQuantity(q);
      const lim = toQuantity(res.limits[name]);
      if (req !== undefined && lim !== undefined && req.cmp(lim) > 0) {
        errs.push(field.invalid(key(child(path, 'requests'), name), req.toString(),
          `must be less than or equal to ${name} limit of ${lim.toString()}`));
      }
    }
  }
  return errs;
}

interface ContainerContext { volumeNames: Set<string>; containerNames: Set<string>; hostNetwork: boolean; init: boolean }

function validateContainer(c: unknown, path: string, ctx: ContainerContext): FieldError[] {
  if (!isObj(c)) return [field.invalid(path, c, 'must be an object')];
  const errs: FieldError[] = [];
  if (!c.name) errs.push(field.required(child(path, 'name'), ''));
  else if (ctx.containerNames.has(c.name)) errs.push(field.duplicate(child(path, 'name'), c.name));
  else errs.push(...each(isDNS1123Label(String(c.name)), child(path, 'name'), c.name));
  if (c.name) ctx.containerNames.add(c.name);

  if (!c.image) errs.push(field.required(child(path, 'image'), ''));
  else if (typeof c.image !== 'string' || c.image !== c.image.trim()) errs.push(field.invalid(child(path, 'image'), c.image, 'must not have leading or trailing whitespace'));

  if (!c.imagePullPolicy) errs.push(field.required(child(path, 'imagePullPolicy'), ''));
  else if (!PULL_POLICIES.includes(c.imagePullPolicy)) errs.push(field.notSupported(child(path, 'imagePullPolicy'), c.imagePullPolicy, PULL_POLICIES));

  if (c.terminationMessagePolicy === undefined || c.terminationMessagePolicy === '') errs.push(field.required(child(path, 'terminationMessagePolicy'), ''));
  else if (!TERMINATION_MESSAGE_POLICIES.includes(c.terminationMessagePolicy)) {
    errs.push(field.notSupported(child(path, 'terminationMessagePolicy'), c.terminationMessagePolicy, TERMINATION_MESSAGE_POLICIES));
  }

  for (const f of ['command', 'args']) {
    if (c[f] !== undefined && c[f] !== null && !(Array.isArray(c[f]) && c[f].every((s: unknown) => typeof s === 'string'))) {
      errs.push(field.invalid(child(path, f), c[f], 'must be a list of strings'));
    }
  }

  // ports
  if (c.ports !== undefined && c.ports !== null) {
    if (!Array.isArray(c.ports)) errs.push(field.invalid(child(path, 'ports'), c.ports, 'must be a list'));
    else {
      const portNames = new Set<string>();
      c.ports.forEach((p: any, i: number) => {
        const pp = index(child(path, 'ports'), i);
        if (!isObj(p)) { errs.push(field.invalid(pp, p, 'must be an object')); return; }
        if (p.name) {
          errs.push(...each(isValidPortName(String(p.name)), child(pp, 'name'), p.name));
          if (portNames.has(p.name)) errs.push(field.duplicate(child(pp, 'name'), p.name));
          portNames.add(p.name);
        }
        if (p.containerPort === undefined || p.containerPort === 0) errs.push(field.required(child(pp, 'containerPort'), ''));
        else errs.push(...each(isValidPortNum(p.containerPort), child(pp, 'containerPort'), p.containerPort));
        if (p.hostPort !== undefined && p.hostPort !== 0) {
          errs.push(...each(isValidPortNum(p.hostPort), child(pp, 'hostPort'), p.hostPort));
          if (ctx.hostNetwork && p.hostPort !== p.containerPort) {
            errs.push(field.invalid(child(pp, 'hostPort'), p.hostPort, 'must match `containerPort` when `hostNetwork` is true'));
          }
        }
        if (!p.protocol) errs.push(field.required(child(pp, 'protocol'), ''));
        else if (!PROTOCOLS.includes(p.protocol)) errs.push(field.notSupported(child(pp, 'protocol'), p.protocol, PROTOCOLS));
        if (p.hostIP !== undefined && p.hostIP !== '' && !isValidIP(String(p.hostIP))) {
          errs.push(field.invalid(child(pp, 'hostIP'), p.hostIP, 'must be a valid IP address'));
        }
      });
    }
  }

  // env
  if (c.env !== undefined && c.env !== null) {
    if (!Array.isArray(c.env)) errs.push(field.invalid(child(path, 'env'), c.env, 'must be a list'));
    else c.env.forEach((e: any, i: number) => {
      const ep = index(child(path, 'env'), i);
      if (!isObj(e)) { errs.push(field.invalid(ep, e, 'must be an object')); return; }
      if (!e.name) errs.push(field.required(child(ep, 'name'), ''));
      else errs.push(...each(isEnvVarName(String(e.name)), child(ep, 'name'), e.name));
      if (e.valueFrom !== undefined && e.valueFrom !== null) errs.push(...validateEnvVarSource(e, child(ep, 'valueFrom')));
    });
  }
  if (Array.isArray(c.envFrom)) c.envFrom.forEach((e: any, i: number) => {
    const ep = index(child(path, 'envFrom'), i);
    const n = (e?.configMapRef ? 1 : 0) + (e?.secretRef ? 1 : 0);
    if (n === 0) errs.push(field.invalid(ep, '', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (n > 1) errs.push(field.invalid(ep, '', 'may not have more than one field specified at a time'));
    if (e?.prefix) errs.push(...each(isEnvVarName(String(e.prefix)), child(ep, 'prefix'), e.prefix));
  });

  // volume mounts
  if (c.volumeMounts !== undefined && c.volumeMounts !== null) {
    if (!Array.isArray(c.volumeMounts)) errs.push(field.invalid(child(path, 'volumeMounts'), c.volumeMounts, 'must be a list'));
    else {
      const mountPaths = new Set<string>();
      c.volumeMounts.forEach((m: any, i: number) => {
        const mp = index(child(path, 'volumeMounts'), i);
        if (!isObj(m)) { errs.push(field.invalid(mp, m, 'must be an object')); return; }
        if (!m.name) errs.push(field.required(child(mp, 'name'), ''));
        else if (!ctx.volumeNames.has(m.name)) errs.push(field.notFound(child(mp, 'name'), m.name));
        if (!m.mountPath) errs.push(field.required(child(mp, 'mountPath'), ''));
        else if (mountPaths.has(m.mountPath)) errs.push(field.invalid(child(mp, 'mountPath'), m.mountPath, 'must be unique'));
        if (m.mountPath) mountPaths.add(m.mountPath);
        if (m.subPath) errs.push(...validateLocalDescendingPath(String(m.subPath), child(mp, 'subPath')));
      });
    }
  }

  errs.push(...validateResourceRequirements(c.resources, child(path, 'resources')));

  // probes and lifecycle; plain init containers may have none of them
  const sidecar = ctx.init && c.restartPolicy === 'Always';
  if (ctx.init && c.restartPolicy !== undefined && c.restartPolicy !== 'Always') {
    errs.push(field.notSupported(child(path, 'restartPolicy'), c.restartPolicy, ['Always']));
  }
  if (!ctx.init && c.restartPolicy !== undefined) {
    errs.push(field.forbidden(child(path, 'restartPolicy'), 'may not be set for non-init containers'));
  }
  for (const pr of ['livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle']) {
    if (ctx.init && !sidecar && c[pr] !== undefined && c[pr] !== null) {
      errs.push(field.forbidden(child(path, pr), 'may not be set for init containers without restartPolicy=Always'));
    }
  }
  if (!ctx.init || sidecar) {
    errs.push(...validateProbe(c.livenessProbe, child(path, 'livenessProbe'), true));
    errs.push(...validateProbe(c.readinessProbe, child(path, 'readinessProbe'), false));
    errs.push(...validateProbe(c.startupProbe, child(path, 'startupProbe'), true));
    if (isObj(c.lifecycle)) {
      for (const hook of ['postStart', 'preStop']) {
        if (c.lifecycle[hook]) errs.push(...validateHandlers(c.lifecycle[hook], child(child(path, 'lifecycle'), hook), LIFECYCLE_HANDLERS, 'must specify a handler type'));
      }
    }
  }
  if (!ctx.init && c.readinessProbe && c.readinessProbe.successThreshold === undefined) { /* defaults fill it */ }
  return errs;
}

function validateEnvVarSource(e: any, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const vf = e.valueFrom;
  if (!isObj(vf)) return [field.invalid(path, vf, 'must be an object')];
  const kinds = ['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef'].filter(k => vf[k]);
  if (kinds.length === 0) errs.push(field.invalid(path, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
  else if (kinds.length > 1) errs.push(field.invalid(path, '', 'may not have more than one field specified at a time'));
  if (e.value) errs.push(field.invalid(path, '', 'may not be specified when `value` is not empty'));
  if (vf.fieldRef && !vf.fieldRef.fieldPath) errs.push(field.required(child(child(path, 'fieldRef'), 'fieldPath'), ''));
  if (vf.resourceFieldRef && !vf.resourceFieldRef.resource) errs.push(field.required(child(child(path, 'resourceFieldRef'), 'resource'), ''));
  for (const k of ['configMapKeyRef', 'secretKeyRef']) {
    if (!vf[k]) continue;
    if (!vf[k].key) errs.push(field.required(child(child(path, k), 'key'), ''));
    else errs.push(...each(isConfigMapKey(String(vf[k].key)), child(child(path, k), 'key'), vf[k].key));
  }
  return errs;
}

function validateTolerations(tols: unknown, path: string): FieldError[] {
  if (tols === undefined || tols === null) return [];
  if (!Array.isArray(tols)) return [field.invalid(path, tols, 'must be a list')];
  const errs: FieldError[] = [];
  tols.forEach((t: any, i: number) => {
    const p = index(path, i);
    if (!isObj(t)) { errs.push(field.invalid(p, t, 'must be an object')); return; }
    if (t.key) errs.push(...each(isQualifiedName(String(t.key)), child(p, 'key'), t.key));
    if (!t.key && t.operator !== 'Exists') {
      errs.push(field.invalid(child(p, 'operator'), t.operator ?? '', 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    }
    if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null && t.effect !== 'NoExecute') {
      errs.push(field.invalid(child(p, 'effect'), t.effect ?? '', "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    switch (t.operator) {
      case undefined: case '': case 'Equal':
        errs.push(...each(isValidLabelValue(String(t.value ?? '')), child(p, 'value'), t.value ?? ''));
        break;
      case 'Exists':
        if (t.value) errs.push(field.invalid(child(p, 'operator'), t.value, "value must be empty when `operator` is 'Exists'"));
        break;
      default:
        errs.push(field.notSupported(child(p, 'operator'), t.operator, ['Equal', 'Exists']));
    }
    if (t.effect && !TAINT_EFFECTS.includes(t.effect)) errs.push(field.notSupported(child(p, 'effect'), t.effect, TAINT_EFFECTS));
  });
  return errs;
}

function validateNodeSelectorTerm(term: any, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const part of ['matchExpressions', 'matchFields']) {
    (Array.isArray(term?.[part]) ? term[part] : []).forEach((r: any, i: number) => {
      const p = index(child(path, part), i);
      const vals: unknown[] = Array.isArray(r?.values) ? r.values : [];
      switch (r?.operator) {
        case 'In': case 'NotIn':
          if (vals.length === 0) errs.push(field.required(child(p, 'values'), 'must be specified when `operator` is \'In\' or \'NotIn\''));
          break;
        case 'Exists': case 'DoesNotExist':
          if (vals.length > 0) errs.push(field.forbidden(child(p, 'values'), 'may not be specified when `operator` is \'Exists\' or \'DoesNotExist\''));
          break;
        case 'Gt': case 'Lt':
          if (vals.length !== 1) errs.push(field.required(child(p, 'values'), 'must be specified single value when `operator` is \'Lt\' or \'Gt\''));
          break;
        default:
          errs.push(field.notSupported(child(p, 'operator'), r?.operator, NODE_SELECTOR_OPS));
      }
      if (part === 'matchExpressions') errs.push(...each(isQualifiedName(String(r?.key ?? '')), child(p, 'key'), r?.key ?? ''));
    });
  }
  return errs;
}

function validateAffinity(aff: unknown, path: string): FieldError[] {
  if (aff === undefined || aff === null) return [];
  if (!isObj(aff)) return [field.invalid(path, aff, 'must be an object')];
  const errs: FieldError[] = [];
  const na = aff.nodeAffinity;
  if (isObj(na)) {
    const req = na.requiredDuringSchedulingIgnoredDuringExecution;
    const rp = child(child(path, 'nodeAffinity'), 'requiredDuringSchedulingIgnoredDuringExecution');
    if (isObj(req)) {
      const terms = req.nodeSelectorTerms;
      if (!Array.isArray(terms) || terms.length === 0) errs.push(field.required(child(rp, 'nodeSelectorTerms'), 'must have at least one node selector term'));
      else terms.forEach((t: any, i: number) => errs.push(...validateNodeSelectorTerm(t, index(child(rp, 'nodeSelectorTerms'), i))));
    }
    const pref = na.preferredDuringSchedulingIgnoredDuringExecution;
    if (Array.isArray(pref)) pref.forEach((t: any, i: number) => {
      const p = index(child(child(path, 'nodeAffinity'), 'preferredDuringSchedulingIgnoredDuringExecution'), i);
      if (!(Number.isInteger(t?.weight) && t.weight >= 1 && t.weight <= 100)) errs.push(field.invalid(child(p, 'weight'), t?.weight, inclusiveRangeError(1, 100)));
      errs.push(...validateNodeSelectorTerm(t?.preference, child(p, 'preference')));
    });
  }
  for (const kind of ['podAffinity', 'podAntiAffinity']) {
    const pa = aff[kind];
    if (!isObj(pa)) continue;
    const kp = child(path, kind);
    const req = pa.requiredDuringSchedulingIgnoredDuringExecution;
    if (Array.isArray(req)) req.forEach((t: any, i: number) => errs.push(...validatePodAffinityTerm(t, index(child(kp, 'requiredDuringSchedulingIgnoredDuringExecution'), i))));
    const pref = pa.preferredDuringSchedulingIgnoredDuringExecution;
    if (Array.isArray(pref)) pref.forEach((t: any, i: number) => {
      const p = index(child(kp, 'preferredDuringSchedulingIgnoredDuringExecution'), i);
      if (!(Number.isInteger(t?.weight) && t.weight >= 1 && t.weight <= 100)) errs.push(field.invalid(child(p, 'weight'), t?.weight, inclusiveRangeError(1, 100)));
      errs.push(...validatePodAffinityTerm(t?.podAffinityTerm, child(p, 'podAffinityTerm')));
    });
  }
  return errs;
}

function validatePodAffinityTerm(t: any, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!t?.topologyKey) errs.push(field.required(child(path, 'topologyKey'), 'can not be empty'));
  else errs.push(...each(isQualifiedName(String(t.topologyKey)), child(path, 'topologyKey'), t.topologyKey));
  errs.push(...validateLabelSelector(t?.labelSelector, child(path, 'labelSelector')));
  errs.push(...validateLabelSelector(t?.namespaceSelector, child(path, 'namespaceSelector')));
  return errs;
}

/** Upstream ValidatePodSpec (the parts mk8s honours). Expects defaults already applied. */
export function validatePodSpec(spec: unknown, path: string): FieldError[] {
  if (!isObj(spec)) return [field.required(path, '')];
  const errs: FieldError[] = [];
  const { names: volumeNames, errs: volErrs } = validateVolumes(spec.volumes, child(path, 'volumes'));
  errs.push(...volErrs);
  const ctxBase = { volumeNames, containerNames: new Set<string>(), hostNetwork: spec.hostNetwork === true };
  if (spec.initContainers !== undefined && spec.initContainers !== null) {
    if (!Array.isArray(spec.initContainers)) errs.push(field.invalid(child(path, 'initContainers'), spec.initContainers, 'must be a list'));
    else spec.initContainers.forEach((c: unknown, i: number) =>
      errs.push(...validateContainer(c, index(child(path, 'initContainers'), i), { ...ctxBase, init: true })));
  }
  if (!Array.isArray(spec.containers) || spec.containers.length === 0) {
    if (spec.containers !== undefined && spec.containers !== null && !Array.isArray(spec.containers)) {
      errs.push(field.invalid(child(path, 'containers'), spec.containers, 'must be a list'));
    } else errs.push(field.required(child(path, 'containers'), ''));
  } else {
    spec.containers.forEach((c: unknown, i: number) =>
      errs.push(...validateContainer(c, index(child(path, 'containers'), i), { ...ctxBase, init: false })));
  }

  if (!spec.restartPolicy) errs.push(field.required(child(path, 'restartPolicy'), ''));
  else if (!RESTART_POLICIES.includes(spec.restartPolicy)) errs.push(field.notSupported(child(path, 'restartPolicy'), spec.restartPolicy, RESTART_POLICIES));
  if (!spec.dnsPolicy) errs.push(field.required(child(path, 'dnsPolicy'), ''));
  else if (!DNS_POLICIES.includes(spec.dnsPolicy)) errs.push(field.notSupported(child(path, 'dnsPolicy'), spec.dnsPolicy, DNS_POLICIES));
  if (spec.dnsPolicy === 'None' && !(isObj(spec.dnsConfig) && Array.isArray(spec.dnsConfig.nameservers) && spec.dnsConfig.nameservers.length > 0)) {
    errs.push(field.required(child(child(path, 'dnsConfig'), 'nameservers'), 'must provide at least one DNS nameserver when `dnsPolicy` is None'));
  }

  errs.push(...validateLabels(spec.nodeSelector, child(path, 'nodeSelector')));
  if (spec.serviceAccountName) errs.push(...each(isDNS1123Subdomain(String(spec.serviceAccountName)), child(path, 'serviceAccountName'), spec.serviceAccountName));
  if (spec.nodeName) errs.push(...each(isDNS1123Subdomain(String(spec.nodeName)), child(path, 'nodeName'), spec.nodeName));
  if (spec.hostname) errs.push(...each(isDNS1123Label(String(spec.hostname)), child(path, 'hostname'), spec.hostname));
  if (spec.subdomain) errs.push(...each(isDNS1123Label(String(spec.subdomain)), child(path, 'subdomain'), spec.subdomain));
  if (spec.priorityClassName) errs.push(...each(isDNS1123Subdomain(String(spec.priorityClassName)), child(path, 'priorityClassName'), spec.priorityClassName));
  errs.push(...validateNonnegative(spec.terminationGracePeriodSeconds, child(path, 'terminationGracePeriodSeconds')));
  if (spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds !== null) {
    const v = spec.activeDeadlineSeconds;
    if (!(Number.isInteger(v) && v >= 1 && v <= 2147483647)) errs.push(field.invalid(child(path, 'activeDeadlineSeconds'), v, inclusiveRangeError(1, 2147483647)));
  }
  errs.push(...validateTolerations(spec.tolerations, child(path, 'tolerations')));
  errs.push(...validateAffinity(spec.affinity, child(path, 'affinity')));
  if (Array.isArray(spec.imagePullSecrets)) spec.imagePullSecrets.forEach((s: any, i: number) => {
    if (!s?.name) errs.push(field.required(child(index(child(path, 'imagePullSecrets'), i), 'name'), ''));
  });
  if (Array.isArray(spec.hostAliases)) spec.hostAliases.forEach((h: any, i: number) => {
    const p = index(child(path, 'hostAliases'), i);
    if (!h?.ip || !isValidIP(String(h.ip))) errs.push(field.invalid(child(p, 'ip'), h?.ip ?? '', 'must be valid IP address'));
  });
  return errs;
}

/** Upstream ValidatePodTemplateSpec: template metadata (labels, annotations) and its pod spec. */
export function validatePodTemplateSpec(tpl: unknown, path: string): FieldError[] {
  if (!isObj(tpl)) return [field.required(path, '')];
  const errs: FieldError[] = [];
  const meta = isObj(tpl.metadata) ? tpl.metadata : {};
  errs.push(...validateLabels(meta.labels, child(child(path, 'metadata'), 'labels')));
  errs.push(...validateAnnotations(meta.annotations, child(child(path, 'metadata'), 'annotations')));
  errs.push(...validateFinalizers(meta.finalizers, child(child(path, 'metadata'), 'finalizers')));
  errs.push(...validatePodSpec(tpl.spec, child(path, 'spec')));
  return errs;
}

// ---------- defaults (pkg/apis/core/v1/defaults.go) ----------

/** The tag of an image reference: 'latest' when there is neither tag nor digest, '' with a digest only. */
export function imageTag(image: string): string {
  const at = image.indexOf('@');
  const ref = at >= 0 ? image.slice(0, at) : image;
  const lastSlash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > lastSlash) return ref.slice(colon + 1);
  return at >= 0 ? '' : 'latest';
}

function defaultProbe(p: any): void {
  if (!isObj(p)) return;
  p.timeoutSeconds ??= 1;
  p.periodSeconds ??= 10;
  p.successThreshold ??= 1;
  p.failureThreshold ??= 3;
  defaultHandler(p);
}
function defaultHandler(h: any): void {
  if (!isObj(h)) return;
  if (isObj(h.httpGet)) {
    h.httpGet.path ||= '/';
    h.httpGet.scheme ||= 'HTTP';
  }
}

export function defaultContainer(c: any, isPod = true): void {
  if (!isObj(c)) return;
  // An unparseable or missing image counts as "no latest tag", as upstream.
  if (!c.imagePullPolicy) c.imagePullPolicy = typeof c.image === 'string' && c.image && imageTag(c.image) === 'latest' ? 'Always' : 'IfNotPresent';
  c.terminationMessagePath ||= '/dev/termination-log';
  c.terminationMessagePolicy ||= 'File';
  c.resources ??= {};
  if (Array.isArray(c.ports)) for (const p of c.ports) if (isObj(p)) p.protocol ||= 'TCP';
  if (Array.isArray(c.env)) for (const e of c.env) {
    if (isObj(e?.valueFrom?.fieldRef)) e.valueFrom.fieldRef.apiVersion ||= 'v1';
  }
  // Upstream SetDefaults_Pod: a limit with no request sets the request to the limit, on Pods only (never on a
  // pod template: a Deployment keeps exactly the resources it was given).
  if (isPod && isObj(c.resources.limits)) {
    const req = isObj(c.resources.requests) ? c.resources.requests : {};
    let added = false;
    for (const [k, v] of Object.entries(c.resources.limits)) if (!(k in req)) { req[k] = v; added = true; }
    if (added) c.resources.requests = req;
  }
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  if (isObj(c.lifecycle)) { defaultHandler(c.lifecycle.postStart); defaultHandler(c.lifecycle.preStop); }
}

export function defaultVolume(v: any): void {
  if (!isObj(v)) return;
  if (!VOLUME_SOURCES.some(s => v[s] !== undefined && v[s] !== null)) v.emptyDir = {};
  for (const s of ['configMap', 'secret', 'downwardAPI', 'projected']) if (isObj(v[s])) v[s].defaultMode ??= 420;
  if (isObj(v.hostPath)) v.hostPath.type ??= '';
  if (isObj(v.downwardAPI) && Array.isArray(v.downwardAPI.items)) {
    for (const it of v.downwardAPI.items) if (isObj(it?.fieldRef)) it.fieldRef.apiVersion ||= 'v1';
  }
  // Upstream's generated defaulters reach into projected sources too (ObjectFieldSelector, token projection).
  if (isObj(v.projected) && Array.isArray(v.projected.sources)) {
    for (const src of v.projected.sources) {
      if (!isObj(src)) continue;
      if (isObj(src.downwardAPI) && Array.isArray(src.downwardAPI.items)) {
        for (const it of src.downwardAPI.items) if (isObj(it?.fieldRef)) it.fieldRef.apiVersion ||= 'v1';
      }
      if (isObj(src.serviceAccountToken)) src.serviceAccountToken.expirationSeconds ??= 3600;
    }
  }
}

/** Upstream SetDefaults_PodSpec + container/volume defaults, in place; `isPod` false for a pod template's spec. */
export function defaultPodSpec(spec: any, isPod = true): void {
  if (!isObj(spec)) return;
  spec.restartPolicy ||= 'Always';
  spec.dnsPolicy ||= 'ClusterFirst';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.schedulerName ||= 'default-scheduler';
  spec.securityContext ??= {};
  spec.enableServiceLinks ??= true;
  if (Array.isArray(spec.containers)) for (const c of spec.containers) defaultContainer(c, isPod);
  if (Array.isArray(spec.initContainers)) for (const c of spec.initContainers) defaultContainer(c, isPod);
  if (Array.isArray(spec.volumes)) spec.volumes.forEach(defaultVolume);
  // With hostNetwork the host port is the container port.
  if (spec.hostNetwork === true) {
    for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
      for (const p of (isObj(c) && Array.isArray(c.ports) ? c.ports : [])) if (isObj(p) && !p.hostPort) p.hostPort = p.containerPort;
    }
  }
}

/** Template defaults: a pod template's spec gets the pod spec defaults. */
export function defaultPodTemplateSpec(tpl: any): void {
  if (!isObj(tpl)) return;
  tpl.metadata ??= {};
  tpl.spec ??= {};
  defaultPodSpec(tpl.spec, false);
}
