// A small real program for leader-election tests (test/e2e/client-leader.test.ts): it campaigns for a Lease through
// the shared client and, while it leads, "acts" every --act-ms, printing one line per step on stdout:
//   CANDIDATE <id> <unix ms>          started campaigning
//   LEADING <id> <unix ms>            onStartedLeading
//   ACTING <id> <unix ms>             one unit of work, done only when isLeader() said yes just before
//   NEWLEADER <id> <holder> <unix ms> the observed holder changed
//   STOPPED <id> <unix ms>            onStoppedLeading; the process then exits 0 (as real components do)
// Usage: node test/dist/leader-process.js --id=a (--grpc=host:port | --http=url) [--namespace=default]
//   [--name=test-lock] [--lease-duration-ms=15000] [--renew-deadline-ms=10000] [--retry-period-ms=2000] [--act-ms=100]
import { grpcClient, httpClient, leaseClient, LeaderElector } from '@mk8s/apimachinery';

function flags(argv: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const a of argv) {
    const m = /^--([a-z-]+)=(.*)$/.exec(a);
    if (!m) throw new Error(`bad argument ${JSON.stringify(a)} (expected --name=value)`);
    out.set(m[1], m[2]);
  }
  return out;
}

function main(): void {
  let f: Map<string, string>;
  try {
    f = flags(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message);
    process.exit(2);
  }
  const id = f.get('id');
  const grpc = f.get('grpc');
  const http = f.get('http');
  if (!id || (!grpc && !http)) {
    console.error('usage: leader-process --id=<id> (--grpc=<host:port> | --http=<url>) [--lease-duration-ms= --renew-deadline-ms= --retry-period-ms= --act-ms=]');
    process.exit(2);
  }
  const num = (name: string): number | undefined => {
    const v = f.get(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) {
      console.error(`--${name} must be a positive number, got ${JSON.stringify(v)}`);
      process.exit(2);
    }
    return n;
  };
  const actMs = num('act-ms') ?? 100;
  const kube = grpc ? grpcClient(grpc, `leader-${id}`) : httpClient(http!, `leader-${id}`);
  const say = (line: string) => process.stdout.write(`${line} ${Date.now()}\n`);

  let elector: LeaderElector;
  try {
    elector = new LeaderElector({
      namespace: f.get('namespace') ?? 'default',
      name: f.get('name') ?? 'test-lock',
      identity: id,
      client: leaseClient(kube),
      leaseDurationMs: num('lease-duration-ms'),
      renewDeadlineMs: num('renew-deadline-ms'),
      retryPeriodMs: num('retry-period-ms'),
      onError: (err, what) => process.stderr.write(`${new Date().toISOString()} ${what}: ${(err as Error)?.message}\n`),
      callbacks: {
        onStartedLeading: (signal) => {
          say(`LEADING ${id}`);
          const tick = () => {
            if (signal.aborted) return;
            // the check and the act are one synchronous step: nothing can pause between them unnoticed
            if (elector.isLeader()) say(`ACTING ${id}`);
            setTimeout(tick, actMs);
          };
          tick();
        },
        onStoppedLeading: () => {
          say(`STOPPED ${id}`);
          kube.close();
          process.exit(0);
        },
        onNewLeader: (holder) => say(`NEWLEADER ${id} ${holder || '-'}`),
      },
    });
  } catch (e) {
    console.error(`invalid leader election settings: ${(e as Error).message}`);
    process.exit(2);
  }
  say(`CANDIDATE ${id}`);
  const ac = new AbortController();
  process.on('SIGTERM', () => ac.abort());
  elector.run(ac.signal).then(() => process.exit(0), (err) => {
    console.error(`leader election failed: ${(err as Error)?.stack ?? err}`);
    process.exit(1);
  });
}

main();
