// Many ConfigMaps, fast, for tests and benchmarks that need a big namespace: `seed-00000` must exist (created
// through the apiserver, so the stored form is exactly the apiserver's); seed-00001.. are copies of its stored value
// written straight into etcd in 128-key transactions. The apiserver's watch cache picks them up like any write.
import { Etcd3 } from 'etcd3';

export async function seedConfigMapCopies(etcdEndpoint: string, ns: string, n: number): Promise<void> {
  const etcd = new Etcd3({ hosts: etcdEndpoint });
  try {
    const template = JSON.parse((await etcd.get(`/registry/configmaps/${ns}/seed-00000`).string())!);
    for (let start = 1; start < n; start += 128) {
      const ops = [];
      for (let i = start; i < Math.min(n, start + 128); i++) {
        const name = `seed-${String(i).padStart(5, '0')}`;
        const obj = { ...template, metadata: { ...template.metadata, name, uid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}` } };
        ops.push({ request_put: { key: Buffer.from(`/registry/configmaps/${ns}/${name}`), value: Buffer.from(JSON.stringify(obj)) } });
      }
      await etcd.kv.txn({ compare: [], success: ops, failure: [] });
    }
  } finally {
    etcd.close();
  }
}
