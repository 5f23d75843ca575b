#!/usr/bin/env node
// Generates apimachinery/src/openapi/schema.json: a compact, facts-only copy of the Kubernetes 1.32 OpenAPI
// definitions that mk8s serves.
//
// Source: kubernetes-client/python at tag v32.0.1, file kubernetes/swagger.json.unprocessed (the OpenAPI v2
// document of Kubernetes 1.32 with every x-kubernetes-* extension). Get it with e.g.
//   git --git-dir=<clone>/.git show v32.0.1:kubernetes/swagger.json.unprocessed > /tmp/swagger.json
// Usage:
//   node apimachinery/scripts/gen-openapi-schema.js /tmp/swagger.json            # writes src/openapi/schema.json
//   node apimachinery/scripts/gen-openapi-schema.js --git-dir <dir> [--rev v32.0.1]
//   add --out <file> to write elsewhere.
//
// What is kept (nothing else; in particular no description text): type, format, required, enum, items,
// additionalProperties, properties, $ref (written as the bare definition name), and the extensions
// x-kubernetes-group-version-kind, -patch-merge-key, -patch-strategy, -list-type, -list-map-keys, -map-type,
// -int-or-string, -preserve-unknown-fields, -embedded-resource.
// Which definitions: those reachable through $ref from the ROOTS below (served kinds, their lists, the kinds
// of their subresources and the meta types every API group document references). Re-run after editing ROOTS.
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

/** [group, version, kind] of every top-level type mk8s serves or references from its paths. */
const ROOTS = [
  ...['Namespace', 'Pod', 'Node', 'Service', 'Endpoints', 'ConfigMap', 'Secret', 'ServiceAccount', 'Event',
    'ReplicationController', 'PersistentVolume', 'PersistentVolumeClaim', 'LimitRange', 'ResourceQuota',
    'PodTemplate'].flatMap(k => [['', 'v1', k], ['', 'v1', `${k}List`]]),
  ['', 'v1', 'Binding'],
  ['policy', 'v1', 'Eviction'],
  ['authentication.k8s.io', 'v1', 'TokenRequest'],
  ['autoscaling', 'v1', 'Scale'],
  ...['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'ControllerRevision'].flatMap(k => [['apps', 'v1', k], ['apps', 'v1', `${k}List`]]),
  ...['Job', 'CronJob'].flatMap(k => [['batch', 'v1', k], ['batch', 'v1', `${k}List`]]),
  ['autoscaling', 'v1', 'HorizontalPodAutoscaler'], ['autoscaling', 'v1', 'HorizontalPodAutoscalerList'],
  ['autoscaling', 'v2', 'HorizontalPodAutoscaler'], ['autoscaling', 'v2', 'HorizontalPodAutoscalerList'],
  ['coordination.k8s.io', 'v1', 'Lease'], ['coordination.k8s.io', 'v1', 'LeaseList'],
  ['storage.k8s.io', 'v1', 'StorageClass'], ['storage.k8s.io', 'v1', 'StorageClassList'],
  ['scheduling.k8s.io', 'v1', 'PriorityClass'], ['scheduling.k8s.io', 'v1', 'PriorityClassList'],
  ['discovery.k8s.io', 'v1', 'EndpointSlice'], ['discovery.k8s.io', 'v1', 'EndpointSliceList'],
  ['policy', 'v1', 'PodDisruptionBudget'], ['policy', 'v1', 'PodDisruptionBudgetList'],
  ['events.k8s.io', 'v1', 'Event'], ['events.k8s.io', 'v1', 'EventList'],
];
/** Meta definitions referenced by paths and discovery documents (named directly: some have many GVKs). */
const META_ROOTS = [
  'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions', 'io.k8s.apimachinery.pkg.apis.meta.v1.Status',
  'io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent', 'io.k8s.apimachinery.pkg.apis.meta.v1.Patch',
  'io.k8s.apimachinery.pkg.apis.meta.v1.APIResourceList', 'io.k8s.apimachinery.pkg.apis.meta.v1.APIGroupList',
  'io.k8s.apimachinery.pkg.apis.meta.v1.APIGroup', 'io.k8s.apimachinery.pkg.apis.meta.v1.APIVersions',
  'io.k8s.apimachinery.pkg.version.Info',
];
const KEPT_EXTENSIONS = [
  'x-kubernetes-group-version-kind', 'x-kubernetes-patch-merge-key', 'x-kubernetes-patch-strategy',
  'x-kubernetes-list-type', 'x-kubernetes-list-map-keys', 'x-kubernetes-map-type', 'x-kubernetes-int-or-string',
  'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-embedded-resource',
];
const REF_PREFIX = '#/definitions/';

function parseArgs(argv) {
  const a = { input: undefined, gitDir: undefined, rev: 'v32.0.1', out: path.join(__dirname, '..', 'src', 'openapi', 'schema.json') };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--git-dir') a.gitDir = argv[++i];
    else if (k === '--rev') a.rev = argv[++i];
    else if (k === '--out') a.out = argv[++i];
    else if (k === '-h' || k === '--help') { console.log(fs.readFileSync(__filename, 'utf8').split('\n').slice(1, 19).join('\n')); process.exit(0); }
    else if (!a.input) a.input = k;
    else throw new Error(`unexpected argument ${JSON.stringify(k)}`);
  }
  if (!a.input && !a.gitDir) throw new Error('give the swagger.json.unprocessed file, or --git-dir <kubernetes-client/python git dir>');
  return a;
}

function readSpec(a) {
  const text = a.input ? fs.readFileSync(a.input, 'utf8')
    : execFileSync('git', ['--git-dir', a.gitDir, 'show', `${a.rev}:kubernetes/swagger.json.unprocessed`], { maxBuffer: 64 << 20, encoding: 'utf8' });
  const spec = JSON.parse(text);
  if (!spec || typeof spec.definitions !== 'object') throw new Error('input has no "definitions": not an OpenAPI v2 document');
  return spec;
}

/** A schema reduced to the kept facts; $refs become bare definition names. */
function compact(s, refs) {
  const out = {};
  if (s.$ref !== undefined) {
    if (!s.$ref.startsWith(REF_PREFIX)) throw new Error(`unsupported $ref ${s.$ref}`);
    out.$ref = s.$ref.slice(REF_PREFIX.length);
    refs.add(out.$ref);
  }
  if (s.type !== undefined) out.type = s.type;
  if (s.format !== undefined) out.format = s.format;
  if (Array.isArray(s.enum)) out.enum = s.enum.slice();
  if (Array.isArray(s.required) && s.required.length) out.required = s.required.slice();
  if (s.items) out.items = compact(s.items, refs);
  if (s.additionalProperties !== undefined) {
    out.additionalProperties = typeof s.additionalProperties === 'object' ? compact(s.additionalProperties, refs) : s.additionalProperties;
  }
  if (s.properties) {
    out.properties = {};
    for (const name of Object.keys(s.properties).sort()) out.properties[name] = compact(s.properties[name], refs);
  }
  for (const ext of KEPT_EXTENSIONS) if (s[ext] !== undefined) out[ext] = JSON.parse(JSON.stringify(s[ext]));
  return out;
}

function findKind(defs, [group, version, kind]) {
  const hits = Object.keys(defs).filter(name => (defs[name]['x-kubernetes-group-version-kind'] || [])
    .some(g => g.group === group && g.version === version && g.kind === kind));
  if (hits.length !== 1) throw new Error(`${group}/${version} ${kind}: expected one definition, found ${hits.length}`);
  return hits[0];
}

function main() {
  const a = parseArgs(process.argv.slice(2));
  const spec = readSpec(a);
  const defs = spec.definitions;
  const queue = [...ROOTS.map(r => findKind(defs, r)), ...META_ROOTS];
  const result = {};
  while (queue.length) {
    const name = queue.pop();
    if (result[name]) continue;
    if (!defs[name]) throw new Error(`missing definition ${name}`);
    const refs = new Set();
    result[name] = compact(defs[name], refs);
    queue.push(...refs);
  }
  // One definition per line: small diffs when re-generated.
  const names = Object.keys(result).sort();
  const lines = names.map((n, i) => `    ${JSON.stringify(n)}: ${JSON.stringify(result[n])}${i < names.length - 1 ? ',' : ''}`);
  const text = `{\n  "source": ${JSON.stringify(`kubernetes-client/python ${a.rev} kubernetes/swagger.json.unprocessed (Kubernetes 1.32), reduced by apimachinery/scripts/gen-openapi-schema.js`)},\n  "definitions": {\n${lines.join('\n')}\n  }\n}\n`;
  fs.writeFileSync(a.out, text);
  console.log(`wrote ${names.length} definitions (${text.length} bytes) to ${a.out}`);
}

try { main(); } catch (e) { console.error(`gen-openapi-schema: ${e.message}`); process.exit(1); }
