import { fieldErrorString } from '@mk8s/apimachinery';
import type { KObject } from '../strategy';
import { autoscalingStrategies, hpaV1Strategy, hpaV1ToV2, hpaV2Strategy, hpaV2ToV1 } from './index';

const now = new Date('2024-01-01T01:00:00Z');
const meta = () => ({ name: 'web', namespace: 'default', creationTimestamp: '2024-01-01T00:00:00Z' });
const v2 = (spec: Record<string, unknown> = {}): KObject => ({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: meta(),
  spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, maxReplicas: 5, ...spec } });

test('v2 defaults: minReplicas, implicit CPU target, behavior rules filled in', () => {
  const h = v2({ behavior: { scaleDown: { stabilizationWindowSeconds: 60 } } });
  hpaV2Strategy.defaults!(h);
  expect(h.spec.minReplicas).toBe(1);
  expect(h.spec.metrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }]);
  expect(h.spec.behavior.scaleUp).toEqual({ stabilizationWindowSeconds: 0, selectPolicy: 'Max',
    policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }] });
  expect(h.spec.behavior.scaleDown).toEqual({ stabilizationWindowSeconds: 60, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] });
  expect(hpaV2Strategy.validate(h)).toEqual([]);
});

test('validation: replica bounds and target reference', () => {
  const h = v2({ minReplicas: 6, scaleTargetRef: { kind: 'Deployment' } });
  hpaV2Strategy.defaults!(h);
  expect(hpaV2Strategy.validate(h).map(fieldErrorString)).toEqual([
    'spec.maxReplicas: Invalid value: 5: must be greater than or equal to `minReplicas`', 'spec.scaleTargetRef.name: Required value']);
  const v1 = hpaV2ToV1(v2({ minReplicas: 0 }));
  expect(hpaV1Strategy.validate(v1).map(fieldErrorString)).toEqual(['spec.minReplicas: Invalid value: 0: must be greater than or equal to 1']);
});

test('v1 <-> v2: CPU target maps to targetCPUUtilizationPercentage and back', () => {
  const v1: KObject = { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: meta(),
    spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 4, targetCPUUtilizationPercentage: 50 },
    status: { currentReplicas: 2, desiredReplicas: 2, currentCPUUtilizationPercentage: 40 } };
  const asV2 = hpaV1ToV2(v1);
  expect(asV2.spec.metrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }]);
  expect(asV2.status.currentMetrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 40 } } }]);
  const back = hpaV2ToV1(asV2);
  expect(back.spec).toEqual(v1.spec);
  expect(back.status.currentCPUUtilizationPercentage).toBe(40);
});

test('v2 -> v1 -> v2 keeps other metrics, conditions and behavior through annotations', () => {
  const full = v2({ minReplicas: 2, metrics: [
    { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
    { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '500Mi' } } },
    { type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '10' } } },
  ], behavior: { scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] } } });
  full.metadata.annotations = { team: 'a' };
  full.status = { currentReplicas: 2, desiredReplicas: 3, conditions: [{ type: 'AbleToScale', status: 'True' }],
    currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 90, averageValue: '180m' } } }] };
  const v1 = hpaV2ToV1(full);
  expect(v1.spec.targetCPUUtilizationPercentage).toBe(70);
  expect(Object.keys(v1.metadata.annotations!).sort()).toEqual(['autoscaling.alpha.kubernetes.io/behavior', 'autoscaling.alpha.kubernetes.io/conditions',
    'autoscaling.alpha.kubernetes.io/current-metrics', 'autoscaling.alpha.kubernetes.io/metrics', 'team']);
  const round = hpaV1ToV2(v1);
  expect(round.metadata.annotations).toEqual({ team: 'a' });
  expect(round.status).toEqual(full.status);
  expect(round.spec.behavior).toEqual(full.spec.behavior);
  // v1 puts the CPU target last, as upstream's conversion does.
  expect(round.spec.metrics).toEqual([full.spec.metrics[1], full.spec.metrics[2], full.spec.metrics[0]]);
});

test('table row in both versions', () => {
  const h = v2(); hpaV2Strategy.defaults!(h);
  h.status = { currentReplicas: 3, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 12 } } }] };
  expect(hpaV2Strategy.tableRow!(h, now)).toEqual(['Deployment/web', 'cpu: 12%/80%', '1', 5, 3, '60m']);
  expect(hpaV1Strategy.tableRow!(hpaV2ToV1(h), now)).toEqual(['Deployment/web', 'cpu: 12%/80%', '1', 5, 3, '60m']);
  expect(autoscalingStrategies.map(s => s.info.version)).toEqual(['v2', 'v1']);
  expect(hpaV1Strategy.info.shortNames).toEqual(['hpa']);
});

// What a fresh HPA's status serializes as upstream: v2 omits currentReplicas 0 but always writes desiredReplicas
// and currentMetrics (null); v1 always writes both replica counts.
test('a new HPA status, as each version writes it', () => {
  const h2 = v2();
  hpaV2Strategy.prepareForCreate!(h2);
  expect(h2.status).toEqual({ desiredReplicas: 0, currentMetrics: null });
  const h1 = hpaV2ToV1(v2());
  hpaV1Strategy.prepareForCreate!(h1);
  expect(h1.status).toEqual({ currentReplicas: 0, desiredReplicas: 0 });
  expect(hpaV1ToV2(h1).status).toEqual({ desiredReplicas: 0, currentMetrics: null });
  expect(hpaV2ToV1(hpaV1ToV2(h1)).status).toEqual({ currentReplicas: 0, desiredReplicas: 0 });
});
