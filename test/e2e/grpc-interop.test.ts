// A third-party gRPC client against the apiserver's gRPC endpoint (our own HTTP/2 server layer): grpc-js with
// the protobufjs codecs proto-loader builds from mk8s.proto, as any user of the .proto would. Unary calls,
// errors with the Kubernetes Status in grpc-status-details-bin, a reply of several MB through grpc-js's own flow
// control windows, a watch stream in order, and a cancelled watch that leaves the server serving.
import * as grpc from '@grpc/grpc-js';
import { protoKubeService, decodeRpcStatus } from '@mk8s/proto';
import { Cluster, cluster } from '../src';

jest.setTimeout(120_000);

let c: Cluster;
let client: grpc.Client & Record<string, any>;
const NS = 'interop';

const unary = <T = any>(rpc: string, req: object, opts: grpc.CallOptions = {}): Promise<T> =>
  new Promise((resolve, reject) => client[rpc](req, new grpc.Metadata(), opts, (err: grpc.ServiceError | null, res: T) => (err ? reject(err) : resolve(res))));
const target = (resource: string, name = '', namespace = NS) => ({ group: '', version: 'v1', resource, namespace, name });
const json = (r: { code: number; object: Buffer }) => JSON.parse(Buffer.from(r.object).toString());

beforeAll(async () => {
  c = await cluster();
  const { Client } = protoKubeService();
  client = new Client(c.apiserver.grpc, grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': -1, 'grpc.primary_user_agent': 'interop-test',
  }) as any;
  const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } };
  const r = await unary('Create', { target: target('namespaces', '', ''), object: Buffer.from(JSON.stringify(ns)) });
  expect(r.code).toBe(201);
}, 60_000);

afterAll(async () => {
  client?.close();
  await c?.teardown();
});

test('Create, Get and an error carrying the Kubernetes Status', async () => {
  const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'one' }, data: { a: 'b' } };
  const created = await unary('Create', { target: target('configmaps'), object: Buffer.from(JSON.stringify(cm)) });
  expect(created.code).toBe(201);
  const got = json(await unary('Get', { target: target('configmaps', 'one') }));
  expect(got.data).toEqual({ a: 'b' });
  expect(got.metadata.resourceVersion).toBe(json(created).metadata.resourceVersion);

  const err: grpc.ServiceError = await unary('Get', { target: target('configmaps', 'missing') }).then(() => { throw new Error('expected NotFound'); }, e => e);
  expect(err.code).toBe(grpc.status.NOT_FOUND);
  const details = err.metadata.get('grpc-status-details-bin')[0] as Buffer;
  const status = JSON.parse(decodeRpcStatus(details)!.toString());
  expect(status).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404, details: { name: 'missing', kind: 'configmaps' } });

  const bad = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Bad_Name' } };
  const inv: grpc.ServiceError = await unary('Create', { target: target('configmaps'), object: Buffer.from(JSON.stringify(bad)) }).then(() => { throw new Error('expected Invalid'); }, e => e);
  expect(inv.code).toBe(grpc.status.INVALID_ARGUMENT);
  const st = JSON.parse(decodeRpcStatus(inv.metadata.get('grpc-status-details-bin')[0] as Buffer)!.toString());
  expect(st.reason).toBe('Invalid');
  expect(st.details.causes[0].field).toBe('metadata.name');
});

test('a list reply of several MB arrives whole through grpc-js flow control', async () => {
  const pad = 'p'.repeat(60_000);
  for (let i = 0; i < 100; i++) {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `big-${String(i).padStart(3, '0')}`, labels: { big: 'yes' } }, data: { pad, i: String(i) } };
    await unary('Create', { target: target('configmaps'), object: Buffer.from(JSON.stringify(cm)) });
  }
  const r = await unary('List', { target: target('configmaps'), options: { labelSelector: 'big=yes' } });
  expect(r.object.length).toBeGreaterThan(6_000_000);
  const list = json(r);
  expect(list.items.map((x: any) => x.data.i)).toEqual(Array.from({ length: 100 }, (_, i) => String(i)));
  expect(list.items.every((x: any) => x.data.pad === pad)).toBe(true);
});

test('a watch streams events in order; cancelling it leaves the server serving', async () => {
  const start = json(await unary('List', { target: target('configmaps'), options: { labelSelector: 'w=yes' } })).metadata.resourceVersion;
  const call = client.Watch({ target: target('configmaps'), options: { labelSelector: 'w=yes', resourceVersion: start } });
  const seen: string[] = [];
  const cancelled = new Promise<grpc.ServiceError>(resolve => call.on('error', resolve));
  call.on('data', (ev: { frames: Buffer[] }) => {
    for (const f of ev.frames) { const e = JSON.parse(Buffer.from(f).toString()); seen.push(`${e.type} ${e.object.metadata.name}`); }
  });
  const names = Array.from({ length: 40 }, (_, i) => `w-${String(i).padStart(2, '0')}`);
  for (const name of names) {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { w: 'yes' } } };
    await unary('Create', { target: target('configmaps'), object: Buffer.from(JSON.stringify(cm)) });
  }
  await unary('Delete', { target: target('configmaps', 'w-00') });
  const want = [...names.map(n => `ADDED ${n}`), 'DELETED w-00'];
  for (let i = 0; i < 200 && seen.length < want.length; i++) await new Promise(r => setTimeout(r, 25));
  expect(seen).toEqual(want);
  call.cancel();
  expect((await cancelled).code).toBe(grpc.status.CANCELLED);
  const after = json(await unary('Get', { target: target('configmaps', 'w-01') }));
  expect(after.metadata.name).toBe('w-01');
});

test('a deadline shorter than the call ends it with DEADLINE_EXCEEDED', async () => {
  const call = client.Watch({ target: target('configmaps'), options: {} }, { deadline: Date.now() + 300 });
  const err = await new Promise<grpc.ServiceError>(resolve => { call.on('error', resolve); call.on('data', () => undefined); });
  expect(err.code).toBe(grpc.status.DEADLINE_EXCEEDED);
});
