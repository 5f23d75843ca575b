// Subresources other than /status: scale, binding, eviction, finalize, and the kubelet-proxied
// log/exec/attach/portforward. Each works through the parent's store, so the same CAS and validation apply.
import http from 'node:http';
import { errors, StatusError, selectorFromLabelSelector } from '@mk8s/apimachinery';
import type { Request } from './handler';
import type { KObject } from '../registry/strategy';
import { fmtTime } from '../registry/store';
import { applyPatch, patchTypes } from './patch';
import { parseMediaTypes, parseText } from './negotiation';
import { tokenRequest } from './token';

type Reply = (code: number, body: unknown) => void;
export type SubresourceHandler = (r: Request, reply: Reply) => Promise<void>;

const successStatus = (extra: Record<string, unknown> = {}) => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201, ...extra });

function scaleOf(r: Request, obj: KObject) {
  const s = r.store.strategy.scale!;
  return {
    kind: 'Scale', apiVersion: 'autoscaling/v1',
    metadata: { name: obj.metadata.name, namespace: obj.metadata.namespace, uid: obj.metadata.uid, resourceVersion: obj.metadata.resourceVersion, creationTimestamp: obj.metadata.creationTimestamp },
    spec: { replicas: s.specReplicas(obj) },
    status: { replicas: s.statusReplicas(obj), selector: s.selector(obj) },
  };
}

const scale: SubresourceHandler = async (r, reply) => {
  const { store, info } = r;
  const ss = store.strategy.scale;
  if (!ss) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
  const ns = info.namespace, name = info.name!;
  if (info.verb === 'get') return reply(200, scaleOf(r, await store.get(ns, name)));
  if (info.verb !== 'update' && info.verb !== 'patch') throw errors.methodNotAllowed();
  let input: any; let patchType: string | undefined;
  if (info.verb === 'update') input = (await r.body()).obj;
  else {
    patchType = patchTypes[parseMediaTypes(r.req.headers['content-type'])[0]?.type ?? ''];
    if (!patchType || patchType === 'apply') throw new StatusError(415, 'UnsupportedMediaType', 'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json');
    input = parseText(await r.req.readBody(), 'json');
  }
  const { object } = await store.guaranteedUpdate(ns, name, cur => {
    const current = scaleOf(r, cur!);
    let want: any = input;
    if (patchType) {
      const base = { ...current, metadata: { ...current.metadata, resourceVersion: undefined } };
      want = patchType === 'json' ? require('../patch/jsonpatch').applyJsonPatch(base, input) : require('../patch/mergepatch').applyMergePatch(base, input);
    }
    const n = want?.spec?.replicas;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
      throw errors.invalid('Scale', 'autoscaling', name, [{ type: 'FieldValueInvalid', field: 'spec.replicas', value: n, detail: 'must be greater than or equal to 0' }]);
    }
    const next = cur!;
    ss.setSpecReplicas(next, n);
    if (want.metadata?.resourceVersion) next.metadata.resourceVersion = want.metadata.resourceVersion;
    else delete next.metadata.resourceVersion;
    return next;
  }, { subresource: 'scale' });
  return reply(200, scaleOf(r, object));
};

const binding: SubresourceHandler = async (r, reply) => {
  if (r.info.verb !== 'create') throw errors.methodNotAllowed();
  const b = (await r.body()).obj as any;
  const target = b?.target;
  if (!target?.name) throw errors.invalid('Binding', '', r.info.name!, [{ type: 'FieldValueRequired', field: 'target.name', detail: '' }]);
  if (target.kind && target.kind !== 'Node') throw errors.invalid('Binding', '', r.info.name!, [{ type: 'FieldValueNotSupported', field: 'target.kind', value: target.kind, supported: ['Node'] }]);
  await r.store.guaranteedUpdate(r.info.namespace, r.info.name!, cur => {
    const pod = cur!;
    if (b.metadata?.uid && b.metadata.uid !== pod.metadata.uid) throw errors.conflict({ group: '', resource: 'pods/binding' }, pod.metadata.name!, `Precondition failed: UID in precondition: ${b.metadata.uid}, UID in object meta: ${pod.metadata.uid}`);
    if (pod.metadata.deletionTimestamp) throw errors.conflict({ group: '', resource: 'pods/binding' }, pod.metadata.name!, `pod ${pod.metadata.name} is being deleted, cannot be assigned to a host`);
    if (pod.spec?.nodeName) throw errors.conflict({ group: '', resource: 'pods/binding' }, pod.metadata.name!, `pod ${pod.metadata.name} is already assigned to node "${pod.spec.nodeName}"`);
    pod.spec.nodeName = target.name;
    if (b.metadata?.annotations) pod.metadata.annotations = { ...(pod.metadata.annotations ?? {}), ...b.metadata.annotations };
    pod.status = pod.status ?? {};
    const conds = (pod.status.conditions ?? []).filter((c: any) => c.type !== 'PodScheduled');
    conds.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: fmtTime(new Date()) });
    pod.status.conditions = conds;
    delete pod.metadata.resourceVersion;
    return pod;
  }, { subresource: 'binding' });
  return reply(201, successStatus());
};

const eviction: SubresourceHandler = async (r, reply) => {
  if (r.info.verb !== 'create') throw errors.methodNotAllowed();
  const ev = (await r.body()).obj as any;
  const ns = r.info.namespace!, name = r.info.name!;
  const pod = await r.store.get(ns, name);
  const phase = pod.status?.phase;
  const pdbs = r.registry?.preferred('policy', 'poddisruptionbudgets');
  if (pdbs && phase !== 'Pending' && phase !== 'Succeeded' && phase !== 'Failed') {
    const list = await pdbs.list(ns);
    const matching = list.items.filter(p => selectorFromLabelSelector(p.spec?.selector).matches(pod.metadata.labels));
    if (matching.length > 1) throw errors.internal('This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
    if (matching.length === 1) {
      const pdb = matching[0];
      if ((pdb.status?.disruptionsAllowed ?? 0) < 1) {
        throw new StatusError(429, 'TooManyRequests', 'Cannot evict pod as it would violate the pod\'s disruption budget.',
          { causes: [{ reason: 'DisruptionBudget', message: `The disruption budget ${pdb.metadata.name} needs ${pdb.status?.desiredHealthy ?? 0} healthy pods and has ${pdb.status?.currentHealthy ?? 0} currently` }] });
      }
      await pdbs.guaranteedUpdate(ns, pdb.metadata.name!, cur => {
        const p = cur!; p.status = p.status ?? {};
        p.status.disruptionsAllowed = Math.max(0, (p.status.disruptionsAllowed ?? 0) - 1);
        p.status.disruptedPods = { ...(p.status.disruptedPods ?? {}), [name]: fmtTime(new Date()) };
        delete p.metadata.resourceVersion;
        return p;
      }, { subresource: 'status' });
    }
  }
  const d = ev?.deleteOptions ?? {};
  await r.store.delete(ns, name, { gracePeriodSeconds: d.gracePeriodSeconds, propagationPolicy: d.propagationPolicy, preconditions: d.preconditions, dryRun: (d.dryRun ?? []).length > 0 });
  return reply(201, successStatus());
};

/** namespaces/<name>/finalize: only spec.finalizers changes; an emptied, deleted namespace goes away. */
const finalize: SubresourceHandler = async (r, reply) => {
  if (r.info.verb !== 'update') throw errors.methodNotAllowed();
  const body = (await r.body()).obj as any;
  const { object } = await r.store.guaranteedUpdate(undefined, r.info.name!, cur => {
    const o = cur!;
    o.spec = { ...(o.spec ?? {}), finalizers: body?.spec?.finalizers ?? [] };
    if (!o.spec.finalizers.length) delete o.spec.finalizers;
    o.metadata.resourceVersion = body?.metadata?.resourceVersion;
    return o;
  }, { subresource: 'finalize' });
  return reply(200, object);
};

/** log, exec, attach, portforward, proxy: forwarded to the kubelet of the pod's node (upgrades included). */
const kubeletProxy: SubresourceHandler = async r => {
  const { info, q } = r;
  if (!r.req.http) throw errors.badRequest(`${info.subresource} is served over HTTP only`);
  const { req: hreq, res } = r.req.http;
  const pod = await r.store.get(info.namespace, info.name!);
  const nodeName = pod.spec?.nodeName;
  if (!nodeName) throw errors.badRequest(`pod ${pod.metadata.name} does not have a host assigned`);
  const containers: string[] = (pod.spec?.containers ?? []).map((c: any) => c.name);
  let container = q.get('container') ?? '';
  if (!container) {
    if (containers.length === 1) container = containers[0];
    else throw errors.badRequest(`a container name must be specified for pod ${pod.metadata.name}, choose one of: [${containers.join(' ')}]`);
  }
  const nodes = r.registry?.preferred('', 'nodes');
  const node = nodes ? await nodes.get(undefined, nodeName).catch(() => undefined) : undefined;
  if (!node) throw errors.badRequest(`node "${nodeName}" of pod ${pod.metadata.name} is not registered`);
  const addr = (node.status?.addresses ?? []).find((a: any) => a.type === 'InternalIP')?.address ?? '127.0.0.1';
  const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port ?? 10250;
  const sub = info.subresource!;
  const kpath = sub === 'log' ? `/containerLogs/${info.namespace}/${info.name}/${container}` : `/${sub}/${info.namespace}/${info.name}/${container}`;
  const qs = new URLSearchParams(q); qs.delete('container');
  const preq = http.request({ host: addr, port, method: r.req.method, path: `${kpath}?${qs}`, headers: { ...hreq.headers, host: `${addr}:${port}` } });
  preq.on('response', pres => { res.writeHead(pres.statusCode ?? 502, pres.headers); pres.pipe(res); });
  preq.on('upgrade', (pres, psock, head) => {
    const sock = hreq.socket;
    const lines = [`HTTP/1.1 ${pres.statusCode} ${pres.statusMessage}`, ...Object.entries(pres.headers).map(([k, v]) => `${k}: ${v}`), '', ''];
    sock.write(lines.join('\r\n')); if (head.length) sock.write(head);
    psock.pipe(sock); sock.pipe(psock);
    psock.on('error', () => sock.destroy()); sock.on('error', () => psock.destroy());
  });
  preq.on('error', e => {
    if (!res.headersSent && !hreq.socket.destroyed) {
      const se = errors.unavailable(`error dialing backend: kubelet on node "${nodeName}" (${addr}:${port}): ${e.message}`);
      const text = JSON.stringify(se.toStatus());
      if (r.upgrade) { hreq.socket.end(`HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`); return; }
      res.writeHead(503, { 'Content-Type': 'application/json' }); res.end(text);
    }
  });
  if (r.upgrade) preq.end(); else hreq.pipe(preq);
};

export const subresourceHandlers: Record<string, SubresourceHandler> = {
  scale, binding, eviction, finalize, token: tokenRequest,
  log: kubeletProxy, exec: kubeletProxy, attach: kubeletProxy, portforward: kubeletProxy,
};
