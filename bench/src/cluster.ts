// The cluster a benchmark runs on. BENCH_PROFILE=<dir> runs the apiserver under `node --cpu-prof` (the profile is
// written there when it stops), to see what bounds a figure.
import * as path from 'path';
import { cluster, Cluster, REPO_ROOT } from '@mk8s/test';

export function benchCluster(): Promise<Cluster> {
  const profileDir = process.env.BENCH_PROFILE;
  const main = path.join(REPO_ROOT, 'apiserver', 'dist', 'main.js');
  return cluster({
    apiserver: { logFormat: 'json', command: profileDir ? [process.execPath, '--cpu-prof', `--cpu-prof-dir=${profileDir}`, main] : undefined },
  });
}
