// Small helpers the core/v1 strategies share.
import type { KObject, ResourceInfo } from '../strategy';

export const isObj = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);
export const specOf = (o: KObject): Record<string, any> => (isObj(o.spec) ? o.spec : {});
export const statusOf = (o: KObject): Record<string, any> => (isObj(o.status) ? o.status : {});
export const clone = <T>(v: T): T => (v === undefined ? v : JSON.parse(JSON.stringify(v)));

/** A core/v1 ResourceInfo. */
export function coreInfo(i: Omit<ResourceInfo, 'group' | 'version'>): ResourceInfo {
  return { group: '', version: 'v1', ...i };
}

/** Main-resource updates may not change status (upstream PrepareForUpdate of kinds with a status subresource). */
export function keepOldStatus(obj: KObject, old: KObject): void {
  if (old.status === undefined) delete obj.status;
  else obj.status = clone(old.status);
}

/** Length of a base64 value once decoded (binaryData / secret data), or undefined if not valid base64. */
export function decodedLength(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0) return undefined;
  return Buffer.from(v, 'base64').length;
}

/** Go's base64 decoder error text for the first bad byte, as upstream's decode error reads. */
export function base64Error(v: string): string {
  const m = /[^A-Za-z0-9+/=]/.exec(v);
  const at = m ? m.index : v.length - (v.length % 4 || 4);
  return `illegal base64 data at input byte ${Math.max(0, at)}`;
}
