// discovery.k8s.io/v1 EndpointSlice: defaults (port name "" and protocol TCP), ValidateEndpointSlice(+Update) and
// printEndpointSlice (ADDRESSTYPE PORTS ENDPOINTS AGE).
import { field, type FieldError } from '@mk8s/apimachinery';
import type { KObject, Strategy } from '../strategy';
import { immutable, isObject, since } from '../apps/common';
import { isDNS1123Subdomain, validateObjectMeta, validateObjectMetaUpdate } from '../apps/deps';
import { isValidIP, isValidIPv4, isValidPortName } from '../validation';

const maxEndpoints = 1000;
const maxAddresses = 100;
const maxPorts = 20000;
const addressTypes = ['FQDN', 'IPv4', 'IPv6'];

export function defaultEndpointSlice(obj: KObject): void {
  if (!Array.isArray(obj.ports)) return;
  for (const p of obj.ports) {
    if (!isObject(p)) continue;
    p.name ??= '';
    p.protocol ??= 'TCP';
  }
}

function validateAddress(addr: unknown, type: string, path: string): FieldError[] {
  if (typeof addr !== 'string') return [field.invalid(path, addr, 'must be a string')];
  if (type === 'IPv4' && !isValidIPv4(addr)) return [field.invalid(path, addr, 'must be a valid IPv4 address')];
  if (type === 'IPv6' && (!isValidIP(addr) || isValidIPv4(addr))) return [field.invalid(path, addr, 'must be a valid IPv6 address')];
  if (type === 'FQDN') return isDNS1123Subdomain(addr).map(m => field.invalid(path, addr, m));
  return [];
}

function validateEndpointSlice(obj: KObject): FieldError[] {
  const errs = validateObjectMeta(obj.metadata, { namespaced: true });
  const type = obj.addressType;
  if (!type) errs.push(field.required('addressType', ''));
  else if (!addressTypes.includes(type)) errs.push(field.notSupported('addressType', type, addressTypes));
  const endpoints = obj.endpoints ?? [];
  if (!Array.isArray(endpoints)) errs.push(field.invalid('endpoints', endpoints, 'must be a list'));
  else if (endpoints.length > maxEndpoints) errs.push({ type: 'FieldValueTooMany', field: 'endpoints', value: endpoints.length, detail: `must have at most ${maxEndpoints} items` });
  else endpoints.forEach((ep: any, i: number) => {
    const p = `endpoints[${i}]`;
    const addrs = isObject(ep) && Array.isArray(ep.addresses) ? ep.addresses : [];
    if (addrs.length === 0) errs.push(field.required(`${p}.addresses`, 'must contain at least 1 address'));
    else if (addrs.length > maxAddresses) errs.push({ type: 'FieldValueTooMany', field: `${p}.addresses`, value: addrs.length, detail: `must have at most ${maxAddresses} items` });
    else if (type && addressTypes.includes(type)) addrs.forEach((a: unknown, j: number) => errs.push(...validateAddress(a, type, `${p}.addresses[${j}]`)));
    if (isObject(ep) && ep.nodeName != null) errs.push(...isDNS1123Subdomain(String(ep.nodeName)).map(m => field.invalid(`${p}.nodeName`, ep.nodeName, m)));
  });
  const ports = obj.ports ?? [];
  if (!Array.isArray(ports)) errs.push(field.invalid('ports', ports, 'must be a list'));
  else if (ports.length > maxPorts) errs.push({ type: 'FieldValueTooMany', field: 'ports', value: ports.length, detail: `must have at most ${maxPorts} items` });
  else {
    const names = new Set<string>();
    ports.forEach((port: any, i: number) => {
      const p = `ports[${i}]`;
      if (!isObject(port)) { errs.push(field.invalid(p, port, 'must be an object')); return; }
      const name = String(port.name ?? '');
      if (name !== '') errs.push(...isValidPortName(name).map(m => field.invalid(`${p}.name`, name, m)));
      if (names.has(name)) errs.push(field.duplicate(`${p}.name`, name));
      names.add(name);
      if (!['TCP', 'UDP', 'SCTP'].includes(port.protocol)) errs.push(field.notSupported(`${p}.protocol`, port.protocol, ['SCTP', 'TCP', 'UDP']));
      if (port.port != null && (!Number.isInteger(port.port) || port.port < 1 || port.port > 65535)) {
        errs.push(field.invalid(`${p}.port`, port.port, 'must be between 1 and 65535, inclusive'));
      }
    });
  }
  return errs;
}

/** formatDiscoveryPorts / formatDiscoveryEndpoints: the first three, then `+ N more...`; `<unset>` when none. */
function listWithMore(items: string[]): string {
  if (items.length === 0) return '<unset>';
  return items.length > 3 ? `${items.slice(0, 3).join(',')} + ${items.length - 3} more...` : items.join(',');
}

export const endpointSliceStrategy: Strategy = {
  info: { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices', kind: 'EndpointSlice', singular: 'endpointslice', namespaced: true },
  defaults: defaultEndpointSlice,
  validate: validateEndpointSlice,
  validateUpdate(obj, old) { return [...validateObjectMetaUpdate(obj.metadata, old.metadata), ...immutable(obj.addressType, old.addressType, 'addressType')]; },
  tableColumns: [
    { name: 'AddressType', type: 'string', description: 'The kind of addresses in this slice.' },
    { name: 'Ports', type: 'string', description: 'Ports exposed by the endpoints.' },
    { name: 'Endpoints', type: 'string', description: 'Addresses of the endpoints.' },
    { name: 'Age', type: 'string', description: 'Time since the object was created.' },
  ],
  tableRow(obj, now) {
    const ports = (Array.isArray(obj.ports) ? obj.ports : []).map((p: any) => (p?.port != null ? String(p.port) : p?.name != null ? String(p.name) : '*'));
    const addrs = (Array.isArray(obj.endpoints) ? obj.endpoints : []).flatMap((e: any) => (Array.isArray(e?.addresses) ? e.addresses.map(String) : []));
    return [String(obj.addressType ?? ''), listWithMore(ports), listWithMore(addrs), since(obj.metadata.creationTimestamp, now)];
  },
};
