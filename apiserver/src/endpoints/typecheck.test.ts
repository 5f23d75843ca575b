import { schemas } from '@mk8s/apimachinery';
import { decodeTypeError } from './typecheck';

const deployment = schemas.forKind('apps', 'v1', 'Deployment')!;
const pod = schemas.forKind('', 'v1', 'Pod')!;
const configMap = schemas.forKind('', 'v1', 'ConfigMap')!;

describe('decodeTypeError (Go json decoding errors)', () => {
  it('names the innermost struct, the field path and the Go type, as encoding/json does', () => {
    expect(decodeTypeError(deployment, { spec: { replicas: 'two' } }))
      .toBe('json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32');
    expect(decodeTypeError(pod, { spec: '' }))
      .toBe('json: cannot unmarshal string into Go struct field Pod.spec of type v1.PodSpec');
    expect(decodeTypeError(pod, { spec: { containers: {} } }))
      .toBe('json: cannot unmarshal object into Go struct field PodSpec.spec.containers of type []v1.Container');
  });

  it('leaves list indices and map keys out of the path', () => {
    const p = { spec: { containers: [{ name: 'a', ports: [{ containerPort: 80 }, { containerPort: '80' }] }] } };
    expect(decodeTypeError(pod, p))
      .toBe('json: cannot unmarshal string into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32');
    expect(decodeTypeError(configMap, { metadata: { labels: { a: 5 } } }))
      .toBe('json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string');
  });

  it('reports fractions and out-of-range integers with the number', () => {
    expect(decodeTypeError(deployment, { spec: { replicas: 1.5 } }))
      .toBe('json: cannot unmarshal number 1.5 into Go struct field DeploymentSpec.spec.replicas of type int32');
    expect(decodeTypeError(deployment, { spec: { replicas: 2147483648 } }))
      .toBe('json: cannot unmarshal number 2147483648 into Go struct field DeploymentSpec.spec.replicas of type int32');
    expect(decodeTypeError(configMap, { immutable: 'yes' }))
      .toBe('json: cannot unmarshal string into Go struct field ConfigMap.immutable of type bool');
    expect(decodeTypeError(configMap, { binaryData: { a: 1 } }))
      .toBe('json: cannot unmarshal number into Go struct field ConfigMap.binaryData of type []uint8');
  });

  it('accepts null anywhere, unknown fields, and values with their own decoders', () => {
    expect(decodeTypeError(pod, { spec: null, metadata: { labels: null }, bogus: 5 })).toBeUndefined();
    const ok = {
      metadata: { name: 'p', creationTimestamp: null },
      spec: {
        containers: [{
          name: 'c', image: 'x', ports: [{ containerPort: 80 }],
          resources: { limits: { cpu: 1, memory: '1Gi' } }, // Quantity takes numbers too
          livenessProbe: { httpGet: { port: 'http' } }, // IntOrString
        }],
      },
    };
    expect(decodeTypeError(pod, ok)).toBeUndefined();
    expect(decodeTypeError(deployment, { spec: { strategy: { rollingUpdate: { maxSurge: 1, maxUnavailable: '25%' } } } })).toBeUndefined();
  });
});
