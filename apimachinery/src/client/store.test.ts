import {
  DeletedFinalStateUnknown, deepFreeze, Indexer, KubeObject, metaNamespaceKeyFunc, NAMESPACE_INDEX, namespaceIndexFunc,
  NODE_NAME_INDEX, nodeNameIndexFunc, splitMetaNamespaceKey,
} from './store';

const pod = (ns: string, name: string, nodeName?: string): KubeObject => ({ metadata: { namespace: ns, name }, spec: { nodeName } });

test('keys', () => {
  expect(metaNamespaceKeyFunc(pod('ns', 'a'))).toBe('ns/a');
  expect(metaNamespaceKeyFunc({ metadata: { name: 'node1' } })).toBe('node1');
  expect(metaNamespaceKeyFunc(new DeletedFinalStateUnknown('ns/x', {}))).toBe('ns/x');
  expect(() => metaNamespaceKeyFunc({})).toThrow('no metadata.name');
  expect(splitMetaNamespaceKey('ns/a')).toEqual({ namespace: 'ns', name: 'a' });
  expect(splitMetaNamespaceKey('a')).toEqual({ namespace: '', name: 'a' });
  expect(() => splitMetaNamespaceKey('a/b/c')).toThrow('unexpected key format');
});

test('indexes follow updates and deletes', () => {
  const idx = new Indexer<KubeObject>(metaNamespaceKeyFunc, { [NAMESPACE_INDEX]: namespaceIndexFunc, [NODE_NAME_INDEX]: nodeNameIndexFunc });
  idx.upsert(pod('ns', 'a', 'n1'));
  idx.upsert(pod('ns', 'b', 'n1'));
  idx.upsert(pod('other', 'c'));
  expect(idx.indexKeys(NODE_NAME_INDEX, 'n1').sort()).toEqual(['ns/a', 'ns/b']);
  expect(idx.indexKeys(NODE_NAME_INDEX, '')).toEqual(['other/c']);
  idx.upsert(pod('ns', 'a', 'n2'));
  expect(idx.indexKeys(NODE_NAME_INDEX, 'n1')).toEqual(['ns/b']);
  expect(idx.indexKeys(NODE_NAME_INDEX, 'n2')).toEqual(['ns/a']);
  expect(idx.deleteKey('ns/b')?.metadata?.name).toBe('b');
  expect(idx.indexValues(NODE_NAME_INDEX).sort()).toEqual(['', 'n2']);
  expect(idx.byIndex(NAMESPACE_INDEX, 'ns').map(o => o.metadata!.name)).toEqual(['a']);
  expect(idx.deleteKey('nope')).toBeUndefined();
  expect(() => idx.byIndex('missing', 'x')).toThrow('index "missing" does not exist');
  // an index added later covers existing objects
  idx.addIndexers({ byName: o => [o.metadata!.name!] });
  expect(idx.indexKeys('byName', 'c')).toEqual(['other/c']);
  expect(() => idx.addIndexers({ byName: () => [] })).toThrow('indexer conflict: byName');
});

test('deepFreeze freezes nested objects', () => {
  const o = deepFreeze({ a: { b: [1, { c: 2 }] } });
  expect(Object.isFrozen(o.a.b[1])).toBe(true);
  expect(() => { (o.a.b as unknown[]).push(3); }).toThrow(TypeError);
});
