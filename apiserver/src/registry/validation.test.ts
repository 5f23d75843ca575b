import { fieldErrorString } from '@mk8s/apimachinery';
import {
  defaultPodSpec, imageTag, isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidLabelValue, parseQuantity,
  validateLabelSelector, validateObjectMeta, validateObjectMetaUpdate, validatePodSpec, validatePodTemplateSpec,
  labelSelectorMatches,
} from './validation';

const strs = (errs: Parameters<typeof fieldErrorString>[0][]) => errs.map(fieldErrorString);

describe('name syntax', () => {
  test('DNS-1123 subdomain message is upstream\'s', () => {
    expect(isDNS1123Subdomain('example.com')).toEqual([]);
    expect(isDNS1123Subdomain('Foo')).toEqual([
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    ]);
    expect(isDNS1123Subdomain('a'.repeat(254))[0]).toBe('must be no more than 253 characters');
  });
  test('DNS-1123 label', () => {
    expect(isDNS1123Label('my-name')).toEqual([]);
    expect(isDNS1123Label('a.b')[0]).toContain("(e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')");
    expect(isDNS1123Label('a'.repeat(64))).toContain('must be no more than 63 characters');
  });
  test('qualified names and label values', () => {
    expect(isQualifiedName('app.kubernetes.io/name')).toEqual([]);
    expect(isQualifiedName('/x')).toEqual(['prefix part must be non-empty']);
    expect(isQualifiedName('a/b/c')[0]).toMatch(/with an optional DNS subdomain prefix and '\/'/);
    expect(isQualifiedName('-bad')[0]).toMatch(/^name part must consist of alphanumeric/);
    expect(isValidLabelValue('')).toEqual([]);
    expect(isValidLabelValue('a b')[0]).toMatch(/^a valid label must be an empty string/);
  });
  test('image tags', () => {
    expect(imageTag('nginx')).toBe('latest');
    expect(imageTag('nginx:1.25')).toBe('1.25');
    expect(imageTag('localhost:5000/nginx')).toBe('latest');
    expect(imageTag('nginx@sha256:abc')).toBe('');
  });
  test('quantities', () => {
    expect(parseQuantity('100m')).toBeCloseTo(0.1);
    expect(parseQuantity('1Gi')).toBe(2 ** 30);
    expect(parseQuantity('1e3')).toBe(1000);
    expect(parseQuantity('abc')).toBeUndefined();
    expect(parseQuantity('1Xi')).toBeUndefined();
  });
});

describe('validateObjectMeta', () => {
  test('valid namespaced meta', () => {
    expect(validateObjectMeta({ name: 'a', namespace: 'default', labels: { app: 'x' } }, { namespaced: true })).toEqual([]);
  });
  test('name required, invalid name, namespace rules', () => {
    expect(strs(validateObjectMeta({ namespace: 'default' }, { namespaced: true }))).toEqual(['metadata.name: Required value: name or generateName is required']);
    expect(strs(validateObjectMeta({ name: 'Foo', namespace: 'default' }, { namespaced: true }))[0])
      .toMatch(/^metadata\.name: Invalid value: "Foo": a lowercase RFC 1123 subdomain/);
    expect(strs(validateObjectMeta({ name: 'a' }, { namespaced: true }))).toEqual(['metadata.namespace: Required value']);
    expect(strs(validateObjectMeta({ name: 'a', namespace: 'x' }, { namespaced: false }))).toEqual(['metadata.namespace: Forbidden: not allowed on this type']);
    expect(validateObjectMeta({ generateName: 'web-', name: 'web-x7k2p', namespace: 'd' }, { namespaced: true })).toEqual([]);
  });
  test('labels, annotations, finalizers, ownerReferences', () => {
    const errs = strs(validateObjectMeta({
      name: 'a', labels: { 'bad key!': 'v', ok: 'bad value!' }, annotations: { big: 'x'.repeat(256 * 1024) },
      finalizers: ['orphan', 'orphan'], ownerReferences: [{ kind: 'ReplicaSet', name: 'r', uid: 'u' }],
    }, { namespaced: false }));
    expect(errs.some(e => e.startsWith('metadata.labels: Invalid value: "bad key!": name part must consist'))).toBe(true);
    expect(errs.some(e => e.startsWith('metadata.labels: Invalid value: "bad value!": a valid label'))).toBe(true);
    expect(errs.some(e => e.startsWith('metadata.annotations: Too long'))).toBe(true);
    expect(errs).toContain('metadata.finalizers[1]: Duplicate value: "orphan"');
    expect(errs).toContain('metadata.ownerReferences.apiVersion: Invalid value: "": version must not be empty');
  });
  test('update immutability', () => {
    const old = { name: 'a', namespace: 'd', uid: 'u1', creationTimestamp: '2024-01-01T00:00:00Z' };
    expect(validateObjectMetaUpdate({ ...old }, old)).toEqual([]);
    expect(strs(validateObjectMetaUpdate({ ...old, uid: 'u2' }, old))).toEqual(['metadata.uid: Invalid value: "u2": field is immutable']);
    const deleting = { ...old, deletionTimestamp: '2024-01-02T00:00:00Z', finalizers: ['a.io/x'] };
    expect(strs(validateObjectMetaUpdate({ ...deleting, finalizers: ['a.io/x', 'b.io/y'] }, deleting))[0])
      .toBe('metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"b.io/y"}');
  });
});

describe('label selectors', () => {
  test('validation and matching', () => {
    expect(validateLabelSelector({ matchLabels: { a: 'b' } }, 'spec.selector')).toEqual([]);
    expect(strs(validateLabelSelector({ matchExpressions: [{ key: 'a', operator: 'In' }] }, 'spec.selector')))
      .toEqual(["spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'"]);
    expect(labelSelectorMatches({ matchLabels: { a: 'b' }, matchExpressions: [{ key: 'c', operator: 'DoesNotExist' }] }, { a: 'b' })).toBe(true);
    expect(labelSelectorMatches({ matchLabels: { a: 'b' } }, { a: 'c' })).toBe(false);
  });
});

const pod = (over: any = {}) => {
  const spec: any = { containers: [{ name: 'app', image: 'nginx' }], ...over };
  defaultPodSpec(spec);
  return spec;
};

describe('pod spec', () => {
  test('defaults', () => {
    const s = pod({ containers: [{ name: 'a', image: 'nginx:1.25', ports: [{ containerPort: 80 }], livenessProbe: { httpGet: { port: 80 } },
      resources: { limits: { cpu: '1' } } }], volumes: [{ name: 'c', configMap: { name: 'x' } }, { name: 'e' }] });
    expect(s).toMatchObject({ restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', terminationGracePeriodSeconds: 30,
      schedulerName: 'default-scheduler', securityContext: {}, enableServiceLinks: true });
    const c = s.containers[0];
    expect(c).toMatchObject({ imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File' });
    expect(c.ports[0].protocol).toBe('TCP');
    expect(c.livenessProbe).toMatchObject({ timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3, httpGet: { path: '/', scheme: 'HTTP' } });
    expect(c.resources.requests).toEqual({ cpu: '1' });
    expect(s.volumes[0].configMap.defaultMode).toBe(420);
    expect(s.volumes[1].emptyDir).toEqual({});
    expect(pod().containers[0].imagePullPolicy).toBe('Always');
  });
  test('projected sources get their defaults (downward API fieldRef apiVersion, token expiry)', () => {
    const s = pod({ volumes: [{ name: 'p', projected: { sources: [
      { downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
      { serviceAccountToken: { path: 'token' } },
      { secret: { name: 'user' } },
    ] } }] });
    expect(s.volumes[0].projected).toEqual({ defaultMode: 420, sources: [
      { downwardAPI: { items: [{ path: 'labels', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.labels' } }] } },
      { serviceAccountToken: { path: 'token', expirationSeconds: 3600 } },
      { secret: { name: 'user' } },
    ] });
    expect(validatePodSpec(s, 'spec')).toEqual([]);
  });
  test('a valid spec passes', () => {
    expect(validatePodSpec(pod({ volumes: [{ name: 'v', emptyDir: {} }],
      containers: [{ name: 'app', image: 'nginx', volumeMounts: [{ name: 'v', mountPath: '/data' }], env: [{ name: 'A', value: '1' }] }] }), 'spec')).toEqual([]);
  });
  test('invalid specs give upstream paths and messages', () => {
    expect(strs(validatePodSpec(pod({ containers: [] }), 'spec'))).toEqual(['spec.containers: Required value']);
    expect(strs(validatePodSpec(pod({ containers: [{ name: 'app' }] }), 'spec'))).toEqual(['spec.containers[0].image: Required value']);
    const raw = validatePodSpec(pod({
      containers: [
        { name: 'app', image: 'x', ports: [{ containerPort: 70000 }], volumeMounts: [{ name: 'nope', mountPath: '/a' }],
          resources: { requests: { cpu: '2' }, limits: { cpu: '1' } }, readinessProbe: { periodSeconds: 1 } },
        { name: 'app', image: 'y' },
      ],
      volumes: [{ name: 'v', emptyDir: {}, hostPath: { path: '/x' } }],
      restartPolicy: 'Sometimes', dnsPolicy: 'Weird',
    }), 'spec');
    expect(raw).toContainEqual({ type: 'FieldValueNotFound', field: 'spec.containers[0].volumeMounts[0].name', value: 'nope' });
    const errs = strs(raw);
    expect(errs).toEqual(expect.arrayContaining([
      'spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
      'spec.containers[0].resources.requests[cpu]: Invalid value: "2": must be less than or equal to cpu limit of 1',
      'spec.containers[0].readinessProbe: Required value: must specify a handler type',
      'spec.containers[1].name: Duplicate value: "app"',
      'spec.volumes[0].hostPath: Forbidden: may not specify more than 1 volume type',
      'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
      'spec.dnsPolicy: Unsupported value: "Weird": supported values: "ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"',
    ]));
  });
  test('init containers may not have probes unless sidecars; names unique across both lists', () => {
    const errs = strs(validatePodSpec(pod({ initContainers: [{ name: 'app', image: 'x', readinessProbe: { exec: { command: ['a'] } } }] }), 'spec'));
    expect(errs).toContain('spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers without restartPolicy=Always');
    expect(errs).toContain('spec.containers[0].name: Duplicate value: "app"');
  });
  test('tolerations and affinity', () => {
    const errs = strs(validatePodSpec(pod({
      tolerations: [{ key: 'k', operator: 'Exists', value: 'v' }, { operator: 'Equal', value: 'x' }, { key: 'k', effect: 'NoSchedule', tolerationSeconds: 5 }],
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } },
    }), 'spec'));
    expect(errs).toEqual(expect.arrayContaining([
      "spec.tolerations[0].operator: Invalid value: \"v\": value must be empty when `operator` is 'Exists'",
      'spec.tolerations[1].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"',
      "spec.tolerations[2].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set",
      'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: Required value: must have at least one node selector term',
    ]));
  });
  test('pod template', () => {
    expect(strs(validatePodTemplateSpec({ metadata: { labels: { 'a': 'b c' } }, spec: pod() }, 'spec.template'))[0])
      .toMatch(/^spec\.template\.metadata\.labels: Invalid value: "b c"/);
  });
});
