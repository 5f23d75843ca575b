// Runs the real kubectl against a capturing stand-in server and checks our protobuf codec against what kubectl
// sends: decode(captured bytes) must equal the JSON kubectl prints for the same command with
// `--dry-run=client -o json` (the JSON twin), our encoder must reproduce the captured bytes exactly, and the
// bytes must match the committed fixtures in test/fixtures/protobuf/kubectl/ (which the unit tests use).
// MK8S_UPDATE_PROTOBUF_FIXTURES=1 rewrites those fixtures from the live capture instead of comparing.

import { execFile } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { promisify } from 'util';
import { decodeKubeProtobuf } from '../../apimachinery/src/protobuf/decode';
import { encodeKubeProtobuf } from '../../apimachinery/src/protobuf/encode';
import { KubectlCaptureStub } from '../src/kubectl-capture-stub';

const run = promisify(execFile);
const FIXTURES = path.join(__dirname, '..', 'fixtures', 'protobuf', 'kubectl');
const UPDATE = process.env.MK8S_UPDATE_PROTOBUF_FIXTURES === '1';

interface Case {
  name: string;
  args: string[];
  /** `kubectl create token` has no --dry-run; its expected JSON is the committed fixture (see README). */
  noDryRun?: boolean;
}

// Each case is one kubectl command that POSTs a protobuf body. Names are the fixture file names.
export const CASES: Case[] = [
  { name: 'namespace', args: ['create', 'namespace', 'x'] },
  { name: 'configmap', args: ['create', 'configmap', 'c', '--from-literal=a=b', '--from-literal=empty='] },
  { name: 'secret-generic', args: ['create', 'secret', 'generic', 's', '--from-literal=k=v', '--from-literal=bin=\u00ff\u0001', '--type=Opaque'] },
  { name: 'secret-docker-registry', args: ['create', 'secret', 'docker-registry', 'reg', '--docker-username=u', '--docker-password=p', '--docker-server=r.example'] },
  { name: 'deployment', args: ['create', 'deployment', 'd', '--image=busybox', '--replicas=0'] },
  { name: 'deployment-port', args: ['create', 'deployment', 'd2', '--image=nginx', '--port=80', '--replicas=3', '--', 'nginx', '-g', 'daemon off;'] },
  { name: 'job', args: ['create', 'job', 'j', '--image=busybox'] },
  { name: 'job-command', args: ['create', 'job', 'j2', '--image=busybox', '--', 'echo', 'hello'] },
  { name: 'job-from-cronjob', args: ['create', 'job', 'jf', '--from=cronjob/rich'] },
  { name: 'cronjob', args: ['create', 'cronjob', 'cj', '--image=busybox', '--schedule=*/1 * * * *'] },
  { name: 'cronjob-restart', args: ['create', 'cronjob', 'cj2', '--image=busybox', '--schedule=0 * * * *', '--restart=Never', '--', 'sh', '-c', 'echo hi'] },
  { name: 'service-clusterip', args: ['create', 'service', 'clusterip', 's', '--tcp=80:8080'] },
  { name: 'service-clusterip-named-port', args: ['create', 'service', 'clusterip', 's2', '--tcp=443:https', '--tcp=53:5353'] },
  { name: 'service-headless', args: ['create', 'service', 'clusterip', 'h', '--clusterip=None'] },
  { name: 'service-nodeport', args: ['create', 'service', 'nodeport', 'np', '--tcp=80:8080', '--node-port=30080'] },
  { name: 'service-loadbalancer', args: ['create', 'service', 'loadbalancer', 'lb', '--tcp=80:8080'] },
  { name: 'service-externalname', args: ['create', 'service', 'externalname', 'en', '--external-name=example.com'] },
  { name: 'serviceaccount', args: ['create', 'serviceaccount', 'sa'] },
  { name: 'quota', args: ['create', 'quota', 'q', '--hard=pods=3'] },
  { name: 'quota-scopes', args: ['create', 'quota', 'q2', '--hard=cpu=1500m,memory=1Gi,pods=10,requests.storage=2000Mi', '--scopes=NotTerminating,BestEffort'] },
  { name: 'priorityclass', args: ['create', 'priorityclass', 'p', '--value=10'] },
  { name: 'priorityclass-full', args: ['create', 'priorityclass', 'hp', '--value=1000', '--description=high', '--global-default=true', '--preemption-policy=Never'] },
  { name: 'pdb-min-available', args: ['create', 'poddisruptionbudget', 'pdb', '--selector=app=x', '--min-available=50%'] },
  { name: 'pdb-max-unavailable', args: ['create', 'poddisruptionbudget', 'pdb2', '--selector=app=y,tier in (a,b)', '--max-unavailable=1'] },
  { name: 'token', args: ['create', 'token', 'sa'], noDryRun: true },
  { name: 'token-bound', args: ['create', 'token', 'sa', '--audience=a1', '--audience=a2', '--duration=10m', '--bound-object-kind=Pod', '--bound-object-name=p1', '--bound-object-uid=u1'], noDryRun: true },
];

describe('protobuf bodies captured from kubectl', () => {
  const stub = new KubectlCaptureStub();
  let home = '';
  const kubectl = (args: string[]) =>
    run('kubectl', ['--server', stub.url, '--cache-dir', path.join(home, 'cache'), ...args],
      { env: { ...process.env, HOME: home, KUBECONFIG: path.join(home, 'none') }, timeout: 30_000 });

  beforeAll(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'mk8s-proto-helper-home-'));
    await stub.start();
    stub.serve('/apis/batch/v1/namespaces/default/cronjobs/rich',
      JSON.parse(fs.readFileSync(path.join(FIXTURES, 'cronjob-source.json'), 'utf8')));
    if (UPDATE) fs.mkdirSync(FIXTURES, { recursive: true });
  });
  afterAll(async () => {
    await stub.stop();
    fs.rmSync(home, { recursive: true, force: true });
  });

  test.each(CASES.map(c => [c.name, c] as const))('%s', async (_name, c) => {
    const before = stub.captured.length;
    await kubectl(c.args);
    const posted = stub.captured.slice(before);
    expect(posted).toHaveLength(1);
    const { body, contentType } = posted[0];
    expect(contentType).toBe('application/vnd.kubernetes.protobuf');

    const pbFile = path.join(FIXTURES, `${c.name}.pb`);
    const jsonFile = path.join(FIXTURES, `${c.name}.json`);
    let twin: Record<string, unknown>;
    if (c.noDryRun) {
      twin = JSON.parse(fs.readFileSync(jsonFile, 'utf8'));
    } else {
      // Flags go before a `--` that starts the container command.
      const dash = c.args.indexOf('--');
      const at = dash < 0 ? c.args.length : dash;
      const { stdout } = await kubectl([...c.args.slice(0, at), '--dry-run=client', '-o', 'json', ...c.args.slice(at)]);
      twin = JSON.parse(stdout);
    }
    if (UPDATE) {
      fs.writeFileSync(pbFile, body);
      if (!c.noDryRun) fs.writeFileSync(jsonFile, `${JSON.stringify(twin, null, 2)}\n`);
    }

    const decoded = decodeKubeProtobuf(body);
    expect(decoded.object).toEqual(twin);
    expect(decoded.kind).toBe(twin.kind);
    expect(encodeKubeProtobuf(twin as { apiVersion: string; kind: string }).equals(body)).toBe(true);
    // kubectl still sends what the committed fixtures (used by the unit tests) hold.
    expect(fs.readFileSync(pbFile).equals(body)).toBe(true);
    expect(JSON.parse(fs.readFileSync(jsonFile, 'utf8'))).toEqual(twin);
  }, 60_000);
});
