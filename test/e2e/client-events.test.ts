// The event recorder end to end through eventSink over a real apiserver: the same event recorded 3 times within
// 10 minutes is one Event object with count 3 (created once, then patched), over gRPC and over HTTP; a different
// message is a separate Event; ten distinct messages for one reason are aggregated upstream's way.
import { Cluster, cluster } from '../src';
import { EventRecorder, eventSink, grpcClient, httpClient, KubeClient, resources } from '@mk8s/apimachinery';

jest.setTimeout(60_000);

let c: Cluster;
const clients: KubeClient[] = [];

beforeAll(async () => {
  c = await cluster();
}, 60_000);

afterAll(async () => {
  for (const k of clients) k.close();
  await c?.teardown();
});

const pod = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'main', image: 'nginx:1.25' }] } });

describe.each(['grpc', 'http'] as const)('over %s', (side) => {
  let kube: KubeClient;
  let subject: any;
  let recorder: EventRecorder;
  const failures: string[] = [];
  beforeAll(async () => {
    kube = side === 'grpc' ? grpcClient(c.apiserver.grpc, 'events-test') : httpClient(c.apiserver.url, 'events-test');
    clients.push(kube);
    subject = await kube.create(resources.pods, 'default', pod(`subject-${side}`));
    recorder = new EventRecorder(eventSink(kube), { component: `tester-${side}`, host: 'node-1' },
      { onError: (err, what) => failures.push(`${what}: ${(err as Error).message}`) });
  });
  const eventsAbout = async () => (await kube.list<any>(resources.events, 'default')).items
    .filter((e) => e.involvedObject?.name === subject.metadata.name);

  it('the same event 3 times is one Event with count 3', async () => {
    for (let i = 0; i < 3; i++) recorder.event(subject, 'Normal', 'Pulled', 'Container image "nginx:1.25" already present');
    await recorder.flush();
    expect(failures).toEqual([]);
    const evs = await eventsAbout();
    expect(evs).toHaveLength(1);
    expect(evs[0]).toMatchObject({
      count: 3, type: 'Normal', reason: 'Pulled', message: 'Container image "nginx:1.25" already present',
      source: { component: `tester-${side}`, host: 'node-1' },
      involvedObject: { kind: 'Pod', name: subject.metadata.name, namespace: 'default', uid: subject.metadata.uid },
    });
    expect(Date.parse(evs[0].lastTimestamp)).toBeGreaterThanOrEqual(Date.parse(evs[0].firstTimestamp));
  });

  it('a different message is another Event; ten distinct messages for one reason are aggregated', async () => {
    recorder.event(subject, 'Warning', 'BackOff', 'Back-off restarting failed container');
    for (let i = 0; i < 12; i++) recorder.eventf(subject, 'Warning', 'FailedMount', 'volume %q cannot be mounted', `vol-${i}`);
    await recorder.flush();
    expect(failures).toEqual([]);
    const evs = await eventsAbout();
    expect(evs.filter((e: any) => e.reason === 'BackOff')).toHaveLength(1);
    const mounts = evs.filter((e: any) => e.reason === 'FailedMount');
    // 9 distinct ones are written as they are; from the 10th on they become one combined event, counted up
    expect(mounts.filter((e: any) => !e.message.startsWith('(combined from similar events)'))).toHaveLength(9);
    const combined = mounts.filter((e: any) => e.message.startsWith('(combined from similar events)'));
    expect(combined).toHaveLength(1);
    expect(combined[0].count).toBe(3);
    expect(combined[0].message).toBe('(combined from similar events): volume "vol-11" cannot be mounted');
  });
});
