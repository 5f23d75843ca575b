// Endpoints: ValidateEndpoints (addresses are IPs, ports valid) and printEndpoints (`10.0.0.1:80,... + 1 more...`).
import { field, type FieldError } from '@mk8s/apimachinery';
import type { KObject, Strategy } from '../strategy';
import { ageColumn, formatAge } from '../printers';
import { isDNS1123Label, isValidIP, isValidPortNum, nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from '../validation';
import { coreInfo, isObj } from './util';

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

function validate(ep: KObject): FieldError[] {
  const errs = validateObjectMeta(ep.metadata, { namespaced: true, nameValidator: nameIsDNSSubdomain });
  const subsets = ep.subsets;
  if (subsets !== undefined && subsets !== null && !Array.isArray(subsets)) return [...errs, field.invalid('subsets', subsets, 'must be a list')];
  (subsets ?? []).forEach((ss: any, i: number) => {
    const sp = `subsets[${i}]`;
    for (const part of ['addresses', 'notReadyAddresses']) {
      (Array.isArray(ss?.[part]) ? ss[part] : []).forEach((a: any, j: number) => {
        if (!isObj(a) || typeof a.ip !== 'string' || !isValidIP(a.ip)) errs.push(field.invalid(`${sp}.${part}[${j}].ip`, a?.ip ?? '', 'must be a valid IP address'));
        if (a?.hostname) for (const m of isDNS1123Label(String(a.hostname))) errs.push(field.invalid(`${sp}.${part}[${j}].hostname`, a.hostname, m));
      });
    }
    const ports: any[] = Array.isArray(ss?.ports) ? ss.ports : [];
    ports.forEach((p, j) => {
      const pp = `${sp}.ports[${j}]`;
      if (ports.length > 1 && !p?.name) errs.push(field.required(`${pp}.name`, ''));
      if (p?.name) for (const m of isDNS1123Label(String(p.name))) errs.push(field.invalid(`${pp}.name`, p.name, m));
      for (const m of isValidPortNum(p?.port)) errs.push(field.invalid(`${pp}.port`, p?.port, m));
      if (!p?.protocol) errs.push(field.required(`${pp}.protocol`, ''));
      else if (!PROTOCOLS.includes(p.protocol)) errs.push(field.notSupported(`${pp}.protocol`, p.protocol, PROTOCOLS));
    });
  });
  return errs;
}

function defaults(ep: KObject): void {
  for (const ss of Array.isArray(ep.subsets) ? ep.subsets : []) {
    for (const p of Array.isArray(ss?.ports) ? ss.ports : []) if (isObj(p)) p.protocol ||= 'TCP';
  }
}

/** formatEndpoints: up to three `ip:port` entries, then ` + N more...`; `<none>` without subsets. */
export function formatEndpoints(ep: KObject): string {
  const subsets: any[] = Array.isArray(ep.subsets) ? ep.subsets : [];
  if (subsets.length === 0) return '<none>';
  const list: string[] = [];
  const max = 3;
  let more = false;
  let count = 0;
  for (const ss of subsets) {
    const addrs: any[] = Array.isArray(ss?.addresses) ? ss.addresses : [];
    const ports: any[] = Array.isArray(ss?.ports) ? ss.ports : [];
    if (ports.length === 0) {
      count += addrs.length;
      for (const a of addrs) { if (list.length === max) { more = true; break; } list.push(a?.ip); }
      continue;
    }
    for (const p of ports) {
      count += addrs.length;
      for (const a of addrs) {
        if (list.length === max) { more = true; break; }
        list.push(String(a?.ip).includes(':') ? `[${a.ip}]:${p?.port}` : `${a?.ip}:${p?.port}`);
      }
    }
  }
  const s = list.join(',');
  return more ? `${s} + ${count - max} more...` : s;
}

export const endpointsStrategy: Strategy = {
  info: coreInfo({ resource: 'endpoints', kind: 'Endpoints', singular: 'endpoints', namespaced: true, shortNames: ['ep'], etcdPrefix: '/registry/services/endpoints' }),
  defaults,
  validate,
  validateUpdate: (ep, old) => validateObjectMetaUpdate(ep.metadata, old.metadata),
  tableColumns: [{ name: 'Endpoints', type: 'string', description: 'The set of all endpoints is the union of all subsets.' }, ageColumn],
  tableRow: (ep, now) => [formatEndpoints(ep), formatAge(ep.metadata.creationTimestamp, now)],
  allowCreateOnUpdate: true,
};
