// The shared core validation/defaulting these strategies rely on (ObjectMeta, pod templates, label selectors, pod
// defaults). One indirection point so the group strategies do not care where those live.
// TEMPORARY private fallbacks: apiserver/src/registry/validation.ts (core-strategies-helper) did not exist yet when
// these strategies were written; replace the bodies below with re-exports from '../validation' once it lands.
import { field, type FieldError } from '@mk8s/apimachinery';
import type { ObjectMeta } from '../strategy';
import { isObject, selectorConvertible } from './common';

const dns1123LabelRe = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dns1123SubdomainRe = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function isDNS1123Label(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 63) errs.push('must be no more than 63 characters');
  if (!dns1123LabelRe.test(v)) errs.push("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')");
  return errs;
}

export function isDNS1123Subdomain(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 253) errs.push('must be no more than 253 characters');
  if (!dns1123SubdomainRe.test(v)) errs.push("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
  return errs;
}

export interface ObjectMetaOptions { namespaced: boolean; nameValidator?: (name: string) => string[]; path?: string }

/** ValidateObjectMeta (the parts every kind needs): name/generateName, namespace presence. */
export function validateObjectMeta(meta: ObjectMeta, opts: ObjectMetaOptions): FieldError[] {
  const p = opts.path ?? 'metadata';
  const errs: FieldError[] = [];
  const validator = opts.nameValidator ?? isDNS1123Subdomain;
  if (!meta.name) {
    if (!meta.generateName) errs.push(field.required(`${p}.name`, 'name or generateName is required'));
  } else {
    for (const m of validator(meta.name)) errs.push(field.invalid(`${p}.name`, meta.name, m));
  }
  if (opts.namespaced) {
    if (!meta.namespace) errs.push(field.required(`${p}.namespace`));
  } else if (meta.namespace) {
    errs.push(field.forbidden(`${p}.namespace`, 'not allowed on this type'));
  }
  return errs;
}

export function validateObjectMetaUpdate(meta: ObjectMeta, old: ObjectMeta): FieldError[] {
  const errs: FieldError[] = [];
  for (const k of ['name', 'namespace', 'uid', 'creationTimestamp'] as const) {
    if (old[k] !== undefined && meta[k] !== old[k]) errs.push(field.invalid(`metadata.${k}`, meta[k], 'field is immutable'));
  }
  return errs;
}

/** ValidateLabelSelector: operator and values shape of each match expression. */
export function validateLabelSelector(sel: unknown, path: string): FieldError[] {
  if (sel === undefined || sel === null) return [];
  if (!isObject(sel)) return [field.invalid(path, sel, 'must be a label selector object')];
  const errs: FieldError[] = [];
  const exprs = Array.isArray(sel.matchExpressions) ? sel.matchExpressions : [];
  exprs.forEach((e: any, i: number) => {
    const ep = `${path}.matchExpressions[${i}]`;
    const op = e?.operator;
    if (op === 'In' || op === 'NotIn') {
      if (!Array.isArray(e.values) || e.values.length === 0) errs.push(field.required(`${ep}.values`, 'must be specified when `operator` is \'In\' or \'NotIn\''));
    } else if (op === 'Exists' || op === 'DoesNotExist') {
      if (Array.isArray(e.values) && e.values.length > 0) errs.push(field.forbidden(`${ep}.values`, 'may not be specified when `operator` is \'Exists\' or \'DoesNotExist\''));
    } else {
      errs.push(field.invalid(`${ep}.operator`, op, 'not a valid selector operator'));
    }
  });
  if (errs.length === 0 && !selectorConvertible(sel)) errs.push(field.invalid(path, sel, 'invalid label selector'));
  return errs;
}

/** ValidatePodTemplateSpec (minimal): containers present, each with a name and an image. */
export function validatePodTemplateSpec(tpl: unknown, path: string): FieldError[] {
  if (!isObject(tpl)) return [field.required(path)];
  return validatePodSpec(tpl.spec, `${path}.spec`);
}

export function validatePodSpec(spec: unknown, path: string): FieldError[] {
  if (!isObject(spec)) return [field.required(path)];
  const errs: FieldError[] = [];
  const containers = spec.containers;
  if (!Array.isArray(containers) || containers.length === 0) return [field.required(`${path}.containers`)];
  containers.forEach((c: any, i: number) => {
    const cp = `${path}.containers[${i}]`;
    if (!c?.name) errs.push(field.required(`${cp}.name`));
    else for (const m of isDNS1123Label(String(c.name))) errs.push(field.invalid(`${cp}.name`, c.name, m));
    if (!c?.image) errs.push(field.required(`${cp}.image`));
  });
  return errs;
}

/** SetDefaults_PodSpec and the container defaults the decoder applies to a pod template. */
export function defaultPodSpec(spec: Record<string, any>): void {
  spec.restartPolicy ??= 'Always';
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.securityContext ??= {};
  for (const list of [spec.containers, spec.initContainers]) {
    if (!Array.isArray(list)) continue;
    for (const c of list) {
      if (!isObject(c)) continue;
      c.terminationMessagePath ??= '/dev/termination-log';
      c.terminationMessagePolicy ??= 'File';
      if (c.imagePullPolicy === undefined && typeof c.image === 'string') {
        const ref = c.image.split('@')[0];
        const lastPart = ref.slice(ref.lastIndexOf('/') + 1);
        const tag = lastPart.includes(':') ? lastPart.slice(lastPart.indexOf(':') + 1) : '';
        c.imagePullPolicy = tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
      }
      if (Array.isArray(c.ports)) for (const port of c.ports) if (isObject(port)) port.protocol ??= 'TCP';
    }
  }
}
