// autoscaling/v1 <-> autoscaling/v2 HorizontalPodAutoscaler (v2 is the storage version). v1 only knows a CPU
// utilization target; everything else rides in annotations, as upstream's conversion does, so a v2 object read
// and written back through v1 loses nothing. Pure functions; inputs are not modified.
import type { KObject } from '../strategy';
import { clone, isObject } from '../apps/common';

export const metricSpecsAnnotation = 'autoscaling.alpha.kubernetes.io/metrics';
export const metricStatusesAnnotation = 'autoscaling.alpha.kubernetes.io/current-metrics';
export const conditionsAnnotation = 'autoscaling.alpha.kubernetes.io/conditions';
export const behaviorAnnotation = 'autoscaling.alpha.kubernetes.io/behavior';
const defaultCPUUtilization = 80;

const isCpuUtilizationSpec = (m: any) =>
  m?.type === 'Resource' && m.resource?.name === 'cpu' && m.resource?.target?.averageUtilization != null;

// ---- metric specs: v2 <-> the v1 (v2beta1-shaped) form kept in the annotation ----
function specToV1Form(m: any): any {
  const t = m[lc(m.type)]?.target ?? {};
  switch (m.type) {
    case 'Resource': return { type: 'Resource', resource: { name: m.resource.name, targetAverageUtilization: t.averageUtilization, targetAverageValue: t.averageValue } };
    case 'ContainerResource': return { type: 'ContainerResource', containerResource: { name: m.containerResource.name, container: m.containerResource.container, targetAverageUtilization: t.averageUtilization, targetAverageValue: t.averageValue } };
    case 'Pods': return { type: 'Pods', pods: { metricName: m.pods.metric?.name, selector: m.pods.metric?.selector, targetAverageValue: t.averageValue } };
    case 'Object': return { type: 'Object', object: { target: m.object.describedObject, metricName: m.object.metric?.name, selector: m.object.metric?.selector, targetValue: t.value, averageValue: t.averageValue } };
    case 'External': return { type: 'External', external: { metricName: m.external.metric?.name, metricSelector: m.external.metric?.selector, targetValue: t.value, targetAverageValue: t.averageValue } };
    default: return clone(m);
  }
}
function specFromV1Form(m: any): any {
  const strip = (o: any) => JSON.parse(JSON.stringify(o));
  switch (m?.type) {
    case 'Resource': { const r = m.resource ?? {};
      return strip({ type: 'Resource', resource: { name: r.name, target: r.targetAverageUtilization != null
        ? { type: 'Utilization', averageUtilization: r.targetAverageUtilization } : { type: 'AverageValue', averageValue: r.targetAverageValue } } }); }
    case 'ContainerResource': { const r = m.containerResource ?? {};
      return strip({ type: 'ContainerResource', containerResource: { name: r.name, container: r.container, target: r.targetAverageUtilization != null
        ? { type: 'Utilization', averageUtilization: r.targetAverageUtilization } : { type: 'AverageValue', averageValue: r.targetAverageValue } } }); }
    case 'Pods': return strip({ type: 'Pods', pods: { metric: { name: m.pods?.metricName, selector: m.pods?.selector }, target: { type: 'AverageValue', averageValue: m.pods?.targetAverageValue } } });
    case 'Object': { const o = m.object ?? {};
      return strip({ type: 'Object', object: { describedObject: o.target, metric: { name: o.metricName, selector: o.selector },
        target: o.averageValue != null ? { type: 'AverageValue', averageValue: o.averageValue, value: o.targetValue } : { type: 'Value', value: o.targetValue } } }); }
    case 'External': { const e = m.external ?? {};
      return strip({ type: 'External', external: { metric: { name: e.metricName, selector: e.metricSelector },
        target: e.targetValue != null ? { type: 'Value', value: e.targetValue, averageValue: e.targetAverageValue } : { type: 'AverageValue', averageValue: e.targetAverageValue } } }); }
    default: return clone(m);
  }
}
const lc = (t: unknown) => (typeof t === 'string' && t ? t[0].toLowerCase() + t.slice(1) : '');

/** autoscaling/v2 -> autoscaling/v1. */
export function hpaV2ToV1(hpa: KObject): KObject {
  const src = clone(hpa);
  const spec = isObject(src.spec) ? src.spec : {};
  const status = isObject(src.status) ? src.status : {};
  const annotations: Record<string, string> = { ...(src.metadata.annotations ?? {}) };
  const metrics: any[] = Array.isArray(spec.metrics) ? spec.metrics : [];
  const cpu = metrics.find(m => m?.type === 'Resource' && m.resource?.name === 'cpu');
  const other = metrics.filter(m => !isCpuUtilizationSpec(m));
  if (other.length) annotations[metricSpecsAnnotation] = JSON.stringify(other.map(specToV1Form));
  const currentMetrics: any[] = Array.isArray(status.currentMetrics) ? status.currentMetrics : [];
  if (currentMetrics.length) annotations[metricStatusesAnnotation] = JSON.stringify(currentMetrics);
  if (Array.isArray(status.conditions) && status.conditions.length) annotations[conditionsAnnotation] = JSON.stringify(status.conditions);
  if (spec.behavior != null) annotations[behaviorAnnotation] = JSON.stringify(spec.behavior);
  const v1Spec: Record<string, unknown> = { scaleTargetRef: spec.scaleTargetRef, minReplicas: spec.minReplicas, maxReplicas: spec.maxReplicas };
  if (cpu?.resource?.target?.averageUtilization != null) v1Spec.targetCPUUtilizationPercentage = cpu.resource.target.averageUtilization;
  const out: KObject = { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { ...src.metadata }, spec: JSON.parse(JSON.stringify(v1Spec)) };
  if (Object.keys(annotations).length) out.metadata.annotations = annotations; else delete out.metadata.annotations;
  if (hpa.status !== undefined) {
    const v1Status: Record<string, unknown> = { observedGeneration: status.observedGeneration, lastScaleTime: status.lastScaleTime,
      currentReplicas: status.currentReplicas ?? 0, desiredReplicas: status.desiredReplicas ?? 0 };
    const cpuNow = currentMetrics.find(m => m?.type === 'Resource' && m.resource?.name === 'cpu' && m.resource?.current?.averageUtilization != null);
    if (cpuNow) v1Status.currentCPUUtilizationPercentage = cpuNow.resource.current.averageUtilization;
    out.status = JSON.parse(JSON.stringify(v1Status));
  }
  return out;
}

function parseAnnotation(annotations: Record<string, string>, key: string): any {
  const raw = annotations[key];
  delete annotations[key];
  if (raw === undefined) return undefined;
  try { return JSON.parse(raw); } catch { return undefined; } // a hand-edited, broken annotation is ignored
}

/** autoscaling/v1 -> autoscaling/v2 (an HPA without any target gets the implicit 80% CPU target, as upstream). */
export function hpaV1ToV2(hpa: KObject): KObject {
  const src = clone(hpa);
  const spec = isObject(src.spec) ? src.spec : {};
  const status = isObject(src.status) ? src.status : undefined;
  const annotations: Record<string, string> = { ...(src.metadata.annotations ?? {}) };
  const other = parseAnnotation(annotations, metricSpecsAnnotation);
  const currentMetrics = parseAnnotation(annotations, metricStatusesAnnotation);
  const conditions = parseAnnotation(annotations, conditionsAnnotation);
  const behavior = parseAnnotation(annotations, behaviorAnnotation);
  const metrics: any[] = Array.isArray(other) ? other.map(specFromV1Form) : [];
  if (spec.targetCPUUtilizationPercentage != null) {
    metrics.push({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: spec.targetCPUUtilizationPercentage } } });
  }
  if (metrics.length === 0) {
    metrics.push({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: defaultCPUUtilization } } });
  }
  const v2Spec: Record<string, unknown> = { scaleTargetRef: spec.scaleTargetRef, minReplicas: spec.minReplicas, maxReplicas: spec.maxReplicas, metrics };
  if (behavior !== undefined) v2Spec.behavior = behavior;
  const out: KObject = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { ...src.metadata }, spec: JSON.parse(JSON.stringify(v2Spec)) };
  if (Object.keys(annotations).length) out.metadata.annotations = annotations; else delete out.metadata.annotations;
  if (status) {
    // As upstream's v2 JSON: currentReplicas omitted when 0, currentMetrics null when there are none.
    const v2Status: Record<string, unknown> = { observedGeneration: status.observedGeneration, lastScaleTime: status.lastScaleTime,
      currentReplicas: status.currentReplicas || undefined, desiredReplicas: status.desiredReplicas ?? 0, currentMetrics: null };
    if (Array.isArray(currentMetrics)) v2Status.currentMetrics = currentMetrics;
    else if (status.currentCPUUtilizationPercentage != null) {
      v2Status.currentMetrics = [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: status.currentCPUUtilizationPercentage } } }];
    }
    if (Array.isArray(conditions)) v2Status.conditions = conditions;
    out.status = JSON.parse(JSON.stringify(v2Status));
  }
  return out;
}
