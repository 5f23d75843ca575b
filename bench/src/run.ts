#!/usr/bin/env node
// `npm run bench -- <name>`: runs bench/src/<name>.ts (compiled to bench/dist/<name>.js) whose main() prints a
// human-readable table and, as its last line, one JSON line {"bench":name,"figures":{...},"goals":{...}}.
import * as fs from 'fs';
import * as path from 'path';

const BENCHES: Record<string, string> = {
  'pod-startup': 'kubelet: pod create -> Running, 1 at a time and 50 at once, vs raw dockerode; kubelet RSS with the pods running',
  api: 'apiserver create/list/watch throughput and latency against raw etcd',
  client: 'client library (see bench/src/client.ts)',
  scheduler: 'scheduler: 5,000 pending pods bound on 100 and 1,000 hollow nodes (pods/s, p99, what bounds it)',
};

async function main() {
  const [name, ...args] = process.argv.slice(2);
  const known = Object.keys(BENCHES).filter((b) => fs.existsSync(path.join(__dirname, `${b}.js`)));
  if (!name || name === '--help' || name === '-h') {
    console.log(`usage: npm run bench -- <name> [args]\n${known.map((b) => `  ${b.padEnd(8)} ${BENCHES[b]}`).join('\n')}`);
    process.exit(name ? 0 : 2);
  }
  if (!known.includes(name)) {
    console.error(`unknown bench ${JSON.stringify(name)}; available: ${known.join(', ') || '(none built: run npm run build)'}`);
    process.exit(2);
  }
  const mod = require(path.join(__dirname, name)) as { main?: (args: string[]) => Promise<void> };
  // A bench that exports main(args) is run here; one without runs itself when loaded (and exits itself).
  if (typeof mod.main !== 'function') return false;
  await mod.main(args);
  return true;
}

main().then(
  (ran) => { if (ran) process.exit(0); },
  (e) => {
    console.error(`bench failed: ${(e as Error).stack ?? e}`);
    process.exit(1);
  },
);
