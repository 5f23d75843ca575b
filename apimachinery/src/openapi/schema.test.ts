import { schemas, CompactSchemaLookup, compactSchemaFile } from './schema';

describe('schema lookup over the generated 1.32 schema', () => {
  it('finds kinds by group/version/kind', () => {
    expect(schemas.forKind('', 'v1', 'Pod')?.ref).toBe('io.k8s.api.core.v1.Pod');
    expect(schemas.forKind('apps', 'v1', 'Deployment')?.ref).toBe('io.k8s.api.apps.v1.Deployment');
    expect(schemas.forKind('autoscaling', 'v2', 'HorizontalPodAutoscaler')?.ref).toBe('io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler');
    expect(schemas.forKind('events.k8s.io', 'v1', 'Event')?.ref).toBe('io.k8s.api.events.v1.Event');
    expect(schemas.forKind('', 'v1', 'NoSuchKind')).toBeUndefined();
    expect(schemas.definition('io.k8s.nope')).toBeUndefined();
  });

  it('carries the strategic-merge keys of Pod.spec.containers', () => {
    const containers = schemas.forKind('', 'v1', 'Pod')!.properties!.spec.properties!.containers;
    expect(containers.type).toBe('array');
    expect(containers.patchMergeKey).toBe('name');
    expect(containers.patchStrategy).toBe('merge');
    expect(containers.listType).toBe('map');
    expect(containers.listMapKeys).toEqual(['name']);
    expect(containers.items!.ref).toBe('io.k8s.api.core.v1.Container');
    expect(containers.items!.required).toEqual(['name']);
    const ports = containers.items!.properties!.ports;
    expect(ports.patchMergeKey).toBe('containerPort');
    expect(ports.listMapKeys).toEqual(['containerPort', 'protocol']);
    expect(ports.items!.properties!.containerPort).toMatchObject({ type: 'integer', format: 'int32' });
  });

  it('has Service ports as a map list keyed by port and protocol', () => {
    const ports = schemas.forKind('', 'v1', 'Service')!.properties!.spec.properties!.ports;
    expect(ports.listType).toBe('map');
    expect(ports.listMapKeys).toEqual(['port', 'protocol']);
    expect(ports.patchMergeKey).toBe('port');
    const targetPort = ports.items!.properties!.targetPort;
    expect(targetPort.intOrString).toBe(true);
    expect(targetPort.ref).toBe('io.k8s.apimachinery.pkg.util.intstr.IntOrString');
    expect(schemas.forKind('', 'v1', 'Service')!.properties!.spec.properties!.selector.mapType).toBe('atomic');
  });

  it('applies use-site extensions next to a $ref without changing the shared definition', () => {
    const strategy = schemas.forKind('apps', 'v1', 'Deployment')!.properties!.spec.properties!.strategy;
    expect(strategy.patchStrategy).toBe('retainKeys');
    expect(strategy.ref).toBe('io.k8s.api.apps.v1.DeploymentStrategy');
    expect(Object.keys(strategy.properties!).sort()).toEqual(['rollingUpdate', 'type']);
    expect(schemas.definition('io.k8s.api.apps.v1.DeploymentStrategy')!.patchStrategy).toBeUndefined();
  });

  it('marks free-form objects as preserving unknown fields and maps with their value type', () => {
    expect(schemas.definition('io.k8s.apimachinery.pkg.runtime.RawExtension')!.preserveUnknownFields).toBe(true);
    expect(schemas.forKind('apps', 'v1', 'ControllerRevision')!.properties!.data.preserveUnknownFields).toBe(true);
    const meta = schemas.definition('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta')!;
    expect(meta.preserveUnknownFields).toBeUndefined();
    expect(meta.properties!.labels.additionalProperties).toEqual({ type: 'string' });
    expect(meta.properties!.ownerReferences.listMapKeys).toEqual(['uid']);
    expect(meta.properties!.finalizers).toMatchObject({ listType: 'set', patchStrategy: 'merge' });
    expect(meta.properties!.managedFields.items!.properties!.fieldsV1.preserveUnknownFields).toBe(true);
  });

  it('contains the meta types and only facts', () => {
    const defs = compactSchemaFile().definitions;
    for (const n of ['DeleteOptions', 'Status', 'WatchEvent', 'Patch', 'APIResourceList', 'APIGroupList', 'APIVersions']) {
      expect(defs[`io.k8s.apimachinery.pkg.apis.meta.v1.${n}`]).toBeDefined();
    }
    for (const n of ['io.k8s.api.core.v1.PodList', 'io.k8s.api.core.v1.Binding', 'io.k8s.api.policy.v1.Eviction',
      'io.k8s.api.authentication.v1.TokenRequest', 'io.k8s.api.autoscaling.v1.Scale']) expect(defs[n]).toBeDefined();
    // no upstream prose: a description key may only appear as a real field name (PriorityClass.description)
    const text = JSON.stringify(defs);
    expect((text.match(/"description":/g) ?? []).length).toBe(1);
    expect(defs['io.k8s.api.scheduling.v1.PriorityClass'].properties!.description).toEqual({ type: 'string' });
    // every $ref resolves
    const refs = [...text.matchAll(/"\$ref":"([^"]+)"/g)].map(m => m[1]);
    for (const r of refs) expect(defs[r]).toBeDefined();
  });

  it('resolves self-referencing definitions lazily', () => {
    const lookup = new CompactSchemaLookup({
      'x.Tree': { type: 'object', properties: { name: { type: 'string' }, children: { type: 'array', items: { $ref: 'x.Tree' } } } },
    });
    const tree = lookup.definition('x.Tree')!;
    expect(tree.properties!.children.items).toBe(tree);
    expect(tree.properties!.children.items!.properties!.children.items!.properties!.name.type).toBe('string');
  });

  it('reports a dangling $ref clearly when walked', () => {
    const lookup = new CompactSchemaLookup({ 'x.A': { type: 'object', properties: { b: { $ref: 'x.Missing' } } } });
    expect(() => lookup.definition('x.A')!.properties!.b).toThrow('dangling $ref x.Missing');
  });
});
