// Small hand-written schemas shaped like the real Pod, Deployment and Service ones, for the unit tests.
import type { SchemaNode } from '@mk8s/apimachinery';

const str: SchemaNode = { type: 'string' };
const int: SchemaNode = { type: 'integer', format: 'int32' };
const bool: SchemaNode = { type: 'boolean' };
const strMap: SchemaNode = { type: 'object', additionalProperties: str };

const envVar: SchemaNode = { type: 'object', properties: { name: str, value: str } };
const containerPort: SchemaNode = { type: 'object', properties: { containerPort: int, name: str, protocol: str, hostPort: int } };
const volumeMount: SchemaNode = { type: 'object', properties: { name: str, mountPath: str, readOnly: bool } };
export const container: SchemaNode = {
  type: 'object',
  properties: {
    name: str, image: str, imagePullPolicy: str,
    args: { type: 'array', items: str, listType: 'atomic' },
    command: { type: 'array', items: str, listType: 'atomic' },
    env: { type: 'array', items: envVar, patchStrategy: 'merge', patchMergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
    ports: { type: 'array', items: containerPort, patchStrategy: 'merge', patchMergeKey: 'containerPort', listType: 'map', listMapKeys: ['containerPort', 'protocol'] },
    volumeMounts: { type: 'array', items: volumeMount, patchStrategy: 'merge', patchMergeKey: 'mountPath', listType: 'map', listMapKeys: ['mountPath'] },
    resources: { type: 'object', properties: { limits: strMap, requests: strMap } },
    securityContext: { type: 'object', properties: { privileged: bool } },
  },
};
const toleration: SchemaNode = { type: 'object', properties: { key: str, operator: str, effect: str, value: str } };
const volume: SchemaNode = {
  type: 'object',
  properties: {
    name: str,
    emptyDir: { type: 'object', properties: { medium: str } },
    hostPath: { type: 'object', properties: { path: str, type: str } },
    configMap: { type: 'object', properties: { name: str } },
  },
};
export const podSpec: SchemaNode = {
  type: 'object',
  properties: {
    containers: { type: 'array', items: container, patchStrategy: 'merge', patchMergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
    initContainers: { type: 'array', items: container, patchStrategy: 'merge', patchMergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
    tolerations: { type: 'array', items: toleration, listType: 'atomic' },
    volumes: { type: 'array', items: volume, patchStrategy: 'merge,retainKeys', patchMergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
    nodeSelector: { type: 'object', additionalProperties: str, mapType: 'atomic' },
    nodeName: str, restartPolicy: str, hostNetwork: bool,
    securityContext: { type: 'object', properties: { runAsUser: int } },
  },
};
const ownerReference: SchemaNode = { type: 'object', properties: { uid: str, name: str, kind: str, apiVersion: str }, mapType: 'atomic' };
export const objectMeta: SchemaNode = {
  type: 'object',
  properties: {
    name: str, namespace: str, uid: str, resourceVersion: str, generation: { type: 'integer', format: 'int64' },
    creationTimestamp: str, labels: strMap, annotations: strMap,
    finalizers: { type: 'array', items: str, patchStrategy: 'merge', listType: 'set' },
    ownerReferences: { type: 'array', items: ownerReference, patchStrategy: 'merge', patchMergeKey: 'uid', listType: 'map', listMapKeys: ['uid'] },
    managedFields: { type: 'array', items: { type: 'object', properties: { manager: str } } },
  },
};
const condition: SchemaNode = { type: 'object', properties: { type: str, status: str, reason: str } };
export const pod: SchemaNode = {
  type: 'object',
  properties: {
    apiVersion: str, kind: str, metadata: objectMeta, spec: podSpec,
    status: { type: 'object', properties: {
      phase: str,
      conditions: { type: 'array', items: condition, patchStrategy: 'merge', patchMergeKey: 'type', listType: 'map', listMapKeys: ['type'] },
    } },
  },
};
const labelSelector: SchemaNode = { type: 'object', properties: { matchLabels: strMap }, mapType: 'atomic' };
export const deployment: SchemaNode = {
  type: 'object',
  properties: {
    apiVersion: str, kind: str, metadata: objectMeta,
    spec: { type: 'object', properties: {
      replicas: int, selector: labelSelector,
      template: { type: 'object', properties: { metadata: objectMeta, spec: podSpec } },
      strategy: { type: 'object', patchStrategy: 'retainKeys', properties: {
        type: str,
        rollingUpdate: { type: 'object', properties: { maxSurge: { intOrString: true }, maxUnavailable: { intOrString: true } } },
      } },
    } },
    status: { type: 'object', properties: { replicas: int, readyReplicas: int } },
  },
};
const servicePort: SchemaNode = { type: 'object', properties: { name: str, port: int, protocol: str, targetPort: { intOrString: true }, nodePort: int } };
export const service: SchemaNode = {
  type: 'object',
  properties: {
    apiVersion: str, kind: str, metadata: objectMeta,
    spec: { type: 'object', properties: {
      ports: { type: 'array', items: servicePort, patchStrategy: 'merge', patchMergeKey: 'port', listType: 'map', listMapKeys: ['port', 'protocol'] },
      selector: { type: 'object', additionalProperties: str, mapType: 'atomic' },
      type: str, clusterIP: str,
    } },
    status: { type: 'object', properties: { loadBalancer: { type: 'object', properties: {} } } },
  },
};
