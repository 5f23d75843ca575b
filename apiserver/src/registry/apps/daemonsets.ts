// apps/v1 DaemonSet: defaults (SetDefaults_DaemonSet), ValidateDaemonSet*, pkg/registry/apps/daemonset/strategy.go
// (template generation, kept in apps/v1 as the `deprecated.daemonset.template.generation` annotation), and
// printDaemonSet (DESIRED CURRENT READY UP-TO-DATE AVAILABLE NODE SELECTOR AGE, wide CONTAINERS IMAGES SELECTOR).
import { field, type FieldError } from '@mk8s/apimachinery';
import type { KObject, Strategy } from '../strategy';
import {
  containerCells, deepEqual, ensureObject, formatLabelSelector, formatLabels, immutable, intOrPercentValue, isObject,
  keepSpec, keepStatusBumpGeneration, nonNegative, notMoreThan100Percent, resetStatusForCreate, selectorConvertible, since,
  specOf, statusOf, validatePositiveIntOrPercent,
} from './common';
import { validateLabelSelector, validateObjectMeta, validateObjectMetaUpdate } from './deps';
import { collisionCountDecremented } from './deployments';
import { defaultTemplate, selectorMatchesTemplate, validateAlwaysRestartingTemplate, templateColumns, selectorImmutableUpdate } from './workload';

export const templateGenerationAnnotation = 'deprecated.daemonset.template.generation';

export function defaultDaemonSet(obj: KObject): void {
  const spec = ensureObject(obj, 'spec');
  const us = ensureObject(spec, 'updateStrategy');
  if (!us.type) us.type = 'RollingUpdate';
  if (us.type === 'RollingUpdate') {
    const ru = ensureObject(us, 'rollingUpdate');
    ru.maxUnavailable ??= 1;
    ru.maxSurge ??= 0;
  }
  spec.revisionHistoryLimit ??= 10;
  defaultTemplate(spec.template);
}

function validateUpdateStrategy(us: any, path: string): FieldError[] {
  const type = isObject(us) ? us.type : undefined;
  if (type === 'OnDelete') return [];
  if (type !== 'RollingUpdate') return [field.notSupported(path, us, ['RollingUpdate', 'OnDelete'])];
  const ru = us.rollingUpdate;
  if (!isObject(ru)) return [field.required(`${path}.rollingUpdate`, '')];
  const rp = `${path}.rollingUpdate`;
  const errs = [
    ...validatePositiveIntOrPercent(ru.maxUnavailable, `${rp}.maxUnavailable`),
    ...validatePositiveIntOrPercent(ru.maxSurge, `${rp}.maxSurge`),
    ...notMoreThan100Percent(ru.maxUnavailable, `${rp}.maxUnavailable`),
    ...notMoreThan100Percent(ru.maxSurge, `${rp}.maxSurge`),
  ];
  const hasUnavailable = intOrPercentValue(ru.maxUnavailable) !== 0;
  const hasSurge = intOrPercentValue(ru.maxSurge) !== 0;
  if (hasUnavailable && hasSurge) errs.push(field.invalid(`${rp}.maxSurge`, ru.maxSurge, 'may not be set when maxUnavailable is non-zero'));
  else if (!hasUnavailable && !hasSurge) errs.push(field.required(`${rp}.maxUnavailable`, 'cannot be 0 when maxSurge is 0'));
  return errs;
}

export function validateDaemonSetSpec(spec: any, path = 'spec'): FieldError[] {
  if (!isObject(spec)) return [field.required(path)];
  const errs: FieldError[] = [];
  if (spec.selector == null) errs.push(field.required(`${path}.selector`, ''));
  else errs.push(...validateLabelSelector(spec.selector, `${path}.selector`));
  if (isObject(spec.selector) && selectorConvertible(spec.selector)) {
    errs.push(...selectorMatchesTemplate(spec.selector, spec.template, `${path}.template`));
    const s = spec.selector;
    if (Object.keys(s.matchLabels ?? {}).length + (s.matchExpressions ?? []).length === 0) {
      errs.push(field.invalid(`${path}.selector`, s, 'empty selector is invalid for daemonset'));
    }
  }
  errs.push(...validateAlwaysRestartingTemplate(spec.template, `${path}.template`, 'DaemonSet'));
  errs.push(...nonNegative(spec.minReadySeconds, `${path}.minReadySeconds`));
  errs.push(...validateUpdateStrategy(spec.updateStrategy, `${path}.updateStrategy`));
  errs.push(...nonNegative(spec.revisionHistoryLimit, `${path}.revisionHistoryLimit`));
  return errs;
}

function validateDaemonSetStatus(status: any, path = 'status'): FieldError[] {
  if (!isObject(status)) return [];
  const errs: FieldError[] = [];
  for (const k of ['currentNumberScheduled', 'numberMisscheduled', 'desiredNumberScheduled', 'numberReady', 'observedGeneration',
    'updatedNumberScheduled', 'numberAvailable', 'numberUnavailable', 'collisionCount']) {
    errs.push(...nonNegative(status[k], `${path}.${k}`));
  }
  return errs;
}

const templateGeneration = (o: KObject): number => {
  const n = parseInt(o.metadata.annotations?.[templateGenerationAnnotation] ?? '', 10);
  return Number.isNaN(n) ? 0 : n;
};
const setTemplateGeneration = (o: KObject, n: number) => {
  o.metadata.annotations = { ...(o.metadata.annotations ?? {}), [templateGenerationAnnotation]: String(n) };
};

export const daemonSetStrategy: Strategy = {
  info: {
    group: 'apps', version: 'v1', resource: 'daemonsets', kind: 'DaemonSet', singular: 'daemonset',
    namespaced: true, shortNames: ['ds'], categories: ['all'], subresources: ['status'],
  },
  defaults: defaultDaemonSet,
  prepareForCreate(obj) {
    // These four counters have no omitempty upstream, so a new DaemonSet shows them as 0.
    resetStatusForCreate(obj, { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 });
    if (templateGeneration(obj) < 1) setTemplateGeneration(obj, 1);
  },
  prepareForUpdate(obj, old) {
    const templateChanged = !deepEqual(specOf(obj).template, specOf(old).template);
    keepStatusBumpGeneration(obj, old);
    // The template generation is the server's: it follows template changes only.
    setTemplateGeneration(obj, Math.max(templateGeneration(old), 1) + (templateChanged ? 1 : 0));
  },
  prepareForStatusUpdate(obj, old) { keepSpec(obj, old); },
  validate(obj) {
    return [...validateObjectMeta(obj.metadata, { namespaced: true }), ...validateDaemonSetSpec(obj.spec)];
  },
  validateUpdate: selectorImmutableUpdate,
  validateStatusUpdate(obj, old) {
    return [...validateObjectMetaUpdate(obj.metadata, old.metadata), ...validateDaemonSetStatus(obj.status), ...collisionCountDecremented(obj, old)];
  },
  tableColumns: [
    { name: 'Desired', type: 'integer', description: 'Nodes that should run the pod.' },
    { name: 'Current', type: 'integer', description: 'Nodes running the pod as they should.' },
    { name: 'Ready', type: 'integer', description: 'Nodes whose pod is ready.' },
    { name: 'Up-to-date', type: 'integer', description: 'Nodes running the current template.' },
    { name: 'Available', type: 'integer', description: 'Nodes whose pod is available.' },
    { name: 'Node Selector', type: 'string', description: 'Node labels the pods require.' },
    { name: 'Age', type: 'string', description: 'Time since the object was created.' },
    ...templateColumns,
  ],
  tableRow(obj, now) {
    const spec = specOf(obj); const st = statusOf(obj);
    const [names, images] = containerCells(spec.template?.spec);
    return [st.desiredNumberScheduled ?? 0, st.currentNumberScheduled ?? 0, st.numberReady ?? 0, st.updatedNumberScheduled ?? 0,
      st.numberAvailable ?? 0, formatLabels(spec.template?.spec?.nodeSelector), since(obj.metadata.creationTimestamp, now),
      names, images, formatLabelSelector(spec.selector)];
  },
  generationOnSpec: true,
};
