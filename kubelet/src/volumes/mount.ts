// tmpfs mounts on the host for memory-backed volumes (emptyDir medium Memory, secrets), so every container
// of a pod binds the same tmpfs, as upstream does. Needs CAP_SYS_ADMIN; callers fall back when it fails.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 10_000 }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${(stderr || err.message).trim()}`)); else resolve();
    });
  });
}

// /proc/self/mountinfo escapes space, tab, newline and backslash as octal.
const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));

/** Mount points at or under dir (deepest first). */
export function mountsUnder(dir: string): string[] {
  let text: string;
  try { text = fs.readFileSync('/proc/self/mountinfo', 'utf8'); } catch { return []; }
  const root = path.resolve(dir);
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    if (f.length < 5) continue;
    const mp = unescape(f[4]);
    if (mp === root || mp.startsWith(root + '/')) out.add(mp);
  }
  return [...out].sort((a, b) => b.length - a.length);
}

export function isMountPoint(dir: string): boolean {
  return mountsUnder(dir).includes(path.resolve(dir));
}

/** Mounts a tmpfs of sizeBytes (0 = kernel default) at dir unless one is there already. */
export async function mountTmpfs(dir: string, sizeBytes: number, mode = 0o777): Promise<void> {
  if (isMountPoint(dir)) return;
  const opts = [`mode=${mode.toString(8)}`, ...(sizeBytes > 0 ? [`size=${sizeBytes}`] : [])].join(',');
  await run('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', dir]);
}

export async function unmountAll(dir: string): Promise<void> {
  for (const mp of mountsUnder(dir)) await run('umount', [mp]);
}
