#!/usr/bin/env node
// Generates apimachinery/src/protobuf/schema.json: the Kubernetes protobuf wire schema for the kinds mk8s serves,
// joined with the Go-side facts (JSON name, pointer, omitempty, embedded/inline) that decide how Go's
// encoding/json prints the decoded struct.
//
// Usage:
//   node apimachinery/scripts/gen-protobuf-schema.js --api <git-dir of kubernetes/api> \
//        --apimachinery <git-dir of kubernetes/apimachinery> [--ref v0.32.0] [--out <schema.json>]
// The git dirs are bare mirrors (e.g. the search tool's fetch of github:kubernetes/api); files are read with
// `git show <ref>:<path>`, so no work tree is needed. Only facts (names, numbers, types, flags) are written.
//
// Sources read per Go package: <pkg>/generated.proto (field numbers and wire types) and every hand-written
// *.go file of the package (struct fields with `json:"..."` and `protobuf:"...,N,..."` tags, matched by number).
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

// The kinds the apiserver accepts as protobuf: "apiVersion/kind" -> fully-qualified proto message.
// "*/Kind" matches any apiVersion (upstream registers DeleteOptions and Status in every group version).
const SERVED_KINDS = {
  'v1/Namespace': 'k8s.io.api.core.v1.Namespace',
  'v1/Pod': 'k8s.io.api.core.v1.Pod',
  'v1/Node': 'k8s.io.api.core.v1.Node',
  'v1/Service': 'k8s.io.api.core.v1.Service',
  'v1/Endpoints': 'k8s.io.api.core.v1.Endpoints',
  'v1/ConfigMap': 'k8s.io.api.core.v1.ConfigMap',
  'v1/Secret': 'k8s.io.api.core.v1.Secret',
  'v1/ServiceAccount': 'k8s.io.api.core.v1.ServiceAccount',
  'v1/Event': 'k8s.io.api.core.v1.Event',
  'v1/ReplicationController': 'k8s.io.api.core.v1.ReplicationController',
  'v1/PersistentVolume': 'k8s.io.api.core.v1.PersistentVolume',
  'v1/PersistentVolumeClaim': 'k8s.io.api.core.v1.PersistentVolumeClaim',
  'v1/LimitRange': 'k8s.io.api.core.v1.LimitRange',
  'v1/ResourceQuota': 'k8s.io.api.core.v1.ResourceQuota',
  'v1/PodTemplate': 'k8s.io.api.core.v1.PodTemplate',
  'v1/Binding': 'k8s.io.api.core.v1.Binding',
  'apps/v1/Deployment': 'k8s.io.api.apps.v1.Deployment',
  'apps/v1/ReplicaSet': 'k8s.io.api.apps.v1.ReplicaSet',
  'apps/v1/StatefulSet': 'k8s.io.api.apps.v1.StatefulSet',
  'apps/v1/DaemonSet': 'k8s.io.api.apps.v1.DaemonSet',
  'apps/v1/ControllerRevision': 'k8s.io.api.apps.v1.ControllerRevision',
  'batch/v1/Job': 'k8s.io.api.batch.v1.Job',
  'batch/v1/CronJob': 'k8s.io.api.batch.v1.CronJob',
  'autoscaling/v1/HorizontalPodAutoscaler': 'k8s.io.api.autoscaling.v1.HorizontalPodAutoscaler',
  'autoscaling/v2/HorizontalPodAutoscaler': 'k8s.io.api.autoscaling.v2.HorizontalPodAutoscaler',
  'autoscaling/v1/Scale': 'k8s.io.api.autoscaling.v1.Scale',
  'coordination.k8s.io/v1/Lease': 'k8s.io.api.coordination.v1.Lease',
  'storage.k8s.io/v1/StorageClass': 'k8s.io.api.storage.v1.StorageClass',
  'scheduling.k8s.io/v1/PriorityClass': 'k8s.io.api.scheduling.v1.PriorityClass',
  'discovery.k8s.io/v1/EndpointSlice': 'k8s.io.api.discovery.v1.EndpointSlice',
  'policy/v1/PodDisruptionBudget': 'k8s.io.api.policy.v1.PodDisruptionBudget',
  'policy/v1/Eviction': 'k8s.io.api.policy.v1.Eviction',
  'events.k8s.io/v1/Event': 'k8s.io.api.events.v1.Event',
  'authentication.k8s.io/v1/TokenRequest': 'k8s.io.api.authentication.v1.TokenRequest',
  '*/DeleteOptions': 'k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions',
  '*/Status': 'k8s.io.apimachinery.pkg.apis.meta.v1.Status',
};

// Messages whose Go type has its own JSON and proto marshalling; the decoder implements each by name.
const SPECIAL = {
  'k8s.io.apimachinery.pkg.apis.meta.v1.Time': 'time',
  'k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime': 'microTime',
  'k8s.io.apimachinery.pkg.apis.meta.v1.Duration': 'duration',
  'k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1': 'rawJSON',
  'k8s.io.apimachinery.pkg.runtime.RawExtension': 'rawJSON',
  'k8s.io.apimachinery.pkg.api.resource.Quantity': 'quantity',
  'k8s.io.apimachinery.pkg.util.intstr.IntOrString': 'intOrString',
};

const SCALARS = new Set(['string', 'bytes', 'bool', 'int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64',
  'fixed32', 'fixed64', 'sfixed32', 'sfixed64', 'double', 'float']);

function parseArgs(argv) {
  const args = { ref: 'v0.32.0', out: path.join(__dirname, '..', 'src', 'protobuf', 'schema.json') };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = argv[i + 1];
    if (k === '--api') args.api = v;
    else if (k === '--apimachinery') args.apimachinery = v;
    else if (k === '--ref') args.ref = v;
    else if (k === '--out') args.out = v;
    else { throw new Error(`unknown argument ${k}`); }
    i++;
  }
  if (!args.api || !args.apimachinery) {
    throw new Error('usage: gen-protobuf-schema.js --api <git-dir> --apimachinery <git-dir> [--ref v0.32.0] [--out file]');
  }
  return args;
}

const git = (gitDir, ...a) => execFileSync('git', ['--git-dir', gitDir, ...a], { encoding: 'utf8', maxBuffer: 64 << 20 });

/** Where a proto package lives: k8s.io.api.core.v1 -> (api repo, core/v1); k8s.io.apimachinery.pkg.x -> pkg/x. */
function packageLocation(pkg, args) {
  if (pkg.startsWith('k8s.io.api.')) return { gitDir: args.api, dir: pkg.slice('k8s.io.api.'.length).replace(/\./g, '/') };
  if (pkg.startsWith('k8s.io.apimachinery.')) return { gitDir: args.apimachinery, dir: pkg.slice('k8s.io.apimachinery.'.length).replace(/\./g, '/') };
  throw new Error(`no known repository for proto package ${pkg}`);
}

function stripComments(text) {
  // Block comments, then line comments outside of Go struct tags (tags are in backticks and never hold `//`).
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/[^\n]*/g, '');
}

/** Parses the subset of proto2 that go-to-protobuf emits: flat messages with optional/repeated/map fields. */
function parseProto(text) {
  const src = stripComments(text);
  const pkg = /^\s*package\s+([\w.]+)\s*;/m.exec(src)[1];
  const messages = {};
  const msgRe = /^message\s+(\w+)\s*\{([\s\S]*?)^\}/gm;
  let m;
  while ((m = msgRe.exec(src))) {
    const fields = [];
    for (const line of m[2].split('\n')) {
      const t = line.trim();
      if (!t) continue;
      let f = /^(optional|repeated|required)\s+([\w.]+)\s+(\w+)\s*=\s*(\d+)\s*(\[[^\]]*\])?\s*;$/.exec(t);
      if (f) {
        fields.push({ label: f[1], type: f[2], name: f[3], number: Number(f[4]) });
        continue;
      }
      f = /^map\s*<\s*([\w.]+)\s*,\s*([\w.]+)\s*>\s+(\w+)\s*=\s*(\d+)\s*;$/.exec(t);
      if (f) {
        fields.push({ label: 'map', key: f[1], type: f[2], name: f[3], number: Number(f[4]) });
        continue;
      }
      if (/^(message|oneof|enum)\b/.test(t)) throw new Error(`${pkg}.${m[1]}: nested declarations are not supported: ${t}`);
      throw new Error(`${pkg}.${m[1]}: cannot parse proto line: ${t}`);
    }
    messages[m[1]] = fields;
  }
  return { pkg, messages };
}

/** Struct fields of one Go package: name -> [{goName, goType, json, omitempty, embedded, number}], plus
 *  the names of non-struct named types (e.g. `type ExtraValue []string`) that proto wraps in a message. */
function parseGoPackage(files) {
  const structs = {};
  const listTypes = new Set();
  for (const text of files) {
    const src = stripComments(text);
    for (const tm of src.matchAll(/^type\s+(\w+)\s+\[\](\S+)\s*$/gm)) listTypes.add(tm[1]);
    const re = /^type\s+(\w+)\s+struct\s*\{/gm;
    let m;
    while ((m = re.exec(src))) {
      // Find the closing brace by depth, skipping anonymous inner structs.
      let depth = 1;
      let i = re.lastIndex;
      for (; i < src.length && depth > 0; i++) {
        if (src[i] === '{') depth++;
        else if (src[i] === '}') depth--;
        else if (src[i] === '`') i = src.indexOf('`', i + 1);
      }
      const body = src.slice(re.lastIndex, i - 1);
      const fields = [];
      for (const line of body.split('\n')) {
        const fm = /^\s*([^`]*?)\s*`([^`]*)`\s*$/.exec(line);
        if (!fm) continue;
        const decl = fm[1].split(/\s+/).filter(Boolean);
        const tags = fm[2];
        const jsonTag = /json:"([^"]*)"/.exec(tags);
        const protoTag = /protobuf:"([^"]*)"/.exec(tags);
        if (!jsonTag || !protoTag) continue;
        const [jsonName, ...opts] = jsonTag[1].split(',');
        const protoParts = protoTag[1].split(',');
        const embedded = decl.length === 1;
        const goType = embedded ? decl[0] : decl[1];
        fields.push({
          goName: embedded ? goType.replace(/^\*/, '').replace(/^.*\./, '') : decl[0],
          goType, jsonName, omitempty: opts.includes('omitempty'), embedded,
          number: Number(protoParts[1]),
        });
      }
      structs[m[1]] = fields;
    }
  }
  return { structs, listTypes };
}

function goFilesOf(gitDir, ref, dir) {
  const names = git(gitDir, 'ls-tree', '--name-only', `${ref}:${dir}`).split('\n').filter(Boolean);
  return names
    .filter(n => n.endsWith('.go') && !n.endsWith('_test.go') && !n.startsWith('zz_generated') &&
      n !== 'generated.pb.go' && !n.endsWith('_swagger_doc_generated.go'))
    .map(n => git(gitDir, 'show', `${ref}:${dir}/${n}`));
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const packages = new Map(); // proto package -> { messages, structs, listTypes }
  const loadPackage = pkg => {
    if (packages.has(pkg)) return packages.get(pkg);
    const { gitDir, dir } = packageLocation(pkg, args);
    const proto = parseProto(git(gitDir, 'show', `${args.ref}:${dir}/generated.proto`));
    if (proto.pkg !== pkg) throw new Error(`${dir}/generated.proto declares package ${proto.pkg}, expected ${pkg}`);
    const go = parseGoPackage(goFilesOf(gitDir, args.ref, dir));
    const entry = { messages: proto.messages, ...go };
    packages.set(pkg, entry);
    return entry;
  };
  const splitName = full => { const i = full.lastIndexOf('.'); return [full.slice(0, i), full.slice(i + 1)]; };
  const resolve = (type, pkg) => {
    if (SCALARS.has(type)) return type;
    if (type.startsWith('.')) return type.slice(1);
    return type.includes('.') ? type : `${pkg}.${type}`;
  };

  const out = {};
  // Specials are always written so the codec can be used for them directly (Duration is not reachable today).
  const queue = [...new Set([...Object.values(SERVED_KINDS), ...Object.keys(SPECIAL)])];
  const seen = new Set(queue);
  const problems = [];
  while (queue.length) {
    const full = queue.shift();
    const [pkg, name] = splitName(full);
    if (SPECIAL[full]) { out[full] = { special: SPECIAL[full] }; continue; }
    const p = loadPackage(pkg);
    const protoFields = p.messages[name];
    if (!protoFields) throw new Error(`message ${full} not found in ${pkg}`);
    if (p.listTypes.has(name)) {
      // `type X []T` carried as message X { repeated T items = 1; }: JSON is the bare list.
      const items = protoFields[0];
      const t = resolve(items.type, pkg);
      out[full] = { list: t };
      if (!SCALARS.has(t) && !seen.has(t)) { seen.add(t); queue.push(t); }
      continue;
    }
    const goFields = p.structs[name];
    if (!goFields) throw new Error(`Go struct ${name} not found for ${full}`);
    const byNumber = new Map(protoFields.map(f => [f.number, f]));
    const fields = [];
    for (const g of goFields) {
      const pf = byNumber.get(g.number);
      if (!pf) { problems.push(`${full}: Go field ${g.goName} has protobuf number ${g.number} missing from proto`); continue; }
      byNumber.delete(g.number);
      const type = resolve(pf.type, pkg);
      const f = { no: pf.number, json: g.jsonName || g.goName, type };
      if (pf.label === 'repeated') f.repeated = true;
      if (pf.label === 'map') f.key = resolve(pf.key, pkg);
      if (g.goType.startsWith('*')) f.ptr = true;
      if (g.omitempty) f.omitempty = true;
      // Go's encoding/json flattens an embedded struct whose tag gives no name.
      if (g.embedded && !g.jsonName) f.inline = true;
      fields.push(f);
      if (!SCALARS.has(type) && !seen.has(type)) { seen.add(type); queue.push(type); }
    }
    for (const pf of byNumber.values()) problems.push(`${full}: proto field ${pf.name}=${pf.number} has no Go field`);
    out[full] = { fields };
  }
  if (problems.length) throw new Error(`schema mismatches:\n${problems.join('\n')}`);

  const sorted = {};
  for (const k of Object.keys(out).sort()) sorted[k] = out[k];
  const schema = { source: { api: args.ref, apimachinery: args.ref }, kinds: SERVED_KINDS, messages: sorted };
  // One message per line: compact, yet diffs stay readable.
  const lines = Object.entries(sorted).map(([k, v]) => `    ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  const text = `{\n  "source": ${JSON.stringify(schema.source)},\n  "kinds": ${JSON.stringify(SERVED_KINDS, null, 4).replace(/\n}/, '\n  }')},\n  "messages": {\n${lines.join(',\n')}\n  }\n}\n`;
  JSON.parse(text);
  fs.writeFileSync(args.out, text);
  process.stdout.write(`wrote ${Object.keys(sorted).length} messages for ${Object.keys(SERVED_KINDS).length} kinds to ${args.out}\n`);
}

try {
  main();
} catch (e) {
  process.stderr.write(`gen-protobuf-schema: ${e.message}\n`);
  process.exit(1);
}
