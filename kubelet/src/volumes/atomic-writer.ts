// The AtomicWriter of upstream (pkg/volume/util/atomic_writer.go): a container reading a configMap/secret
// volume sees either the whole old set of files or the whole new set, never a mix. Files live in a hidden
// timestamped dir; `..data` is a symlink to it, swapped with one rename(2); the names users see are
// symlinks through `..data`.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface FileProjection { data: Buffer; mode: number }
/** Relative path inside the volume -> content and mode. */
export type Payload = Map<string, FileProjection>;

const DATA_DIR = '..data';
const DATA_TMP = '..data_tmp';

/** Upstream's validatePath: relative, no `..` element, not starting with `..`, at most 4096 bytes. */
export function validatePayloadPath(p: string): string | undefined {
  if (!p) return 'path must not be empty';
  if (Buffer.byteLength(p) > 4096) return 'path must be less than or equal to 4096 characters';
  if (path.isAbsolute(p)) return `path ${JSON.stringify(p)} must be relative`;
  if (p.split('/').includes('..')) return `path ${JSON.stringify(p)} must not contain '..'`;
  if (p.startsWith('..')) return `path ${JSON.stringify(p)} must not start with '..'`;
  return undefined;
}

function timestampDirName(): string {
  const d = new Date();
  const two = (n: number) => String(n).padStart(2, '0');
  const stamp = `${d.getUTCFullYear()}_${two(d.getUTCMonth() + 1)}_${two(d.getUTCDate())}_${two(d.getUTCHours())}_${two(d.getUTCMinutes())}_${two(d.getUTCSeconds())}`;
  return `..${stamp}.${crypto.randomBytes(5).toString('hex')}`;
}

/** Is the content under `..data` exactly the payload (same files, bytes and modes)? */
function unchanged(dir: string, payload: Payload): boolean {
  const dataDir = path.join(dir, DATA_DIR);
  let existing: string[];
  try { existing = listFiles(dataDir); } catch { return false; }
  if (existing.length !== payload.size) return false;
  for (const rel of existing) {
    const want = payload.get(rel);
    if (!want) return false;
    const full = path.join(dataDir, rel);
    const st = fs.statSync(full);
    if ((st.mode & 0o7777) !== want.mode || !fs.readFileSync(full).equals(want.data)) return false;
  }
  // the user-visible links must also be there
  for (const top of topLevelNames(payload)) {
    try { if (fs.readlinkSync(path.join(dir, top)) !== path.join(DATA_DIR, top)) return false; } catch { return false; }
  }
  return true;
}

function listFiles(root: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(root, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listFiles(root, rel)); else out.push(rel);
  }
  return out;
}

function topLevelNames(payload: Payload): Set<string> {
  return new Set([...payload.keys()].map(p => p.split('/')[0]));
}

/**
 * Makes dir hold exactly payload, atomically. Returns false when the content was already current.
 * Throws on an invalid path (nothing is written then).
 */
export function writePayload(dir: string, payload: Payload): boolean {
  for (const p of payload.keys()) {
    const err = validatePayloadPath(p);
    if (err) throw new Error(`invalid file path in volume payload: ${err}`);
  }
  fs.mkdirSync(dir, { recursive: true });
  if (unchanged(dir, payload)) return false;

  let oldTsDir: string | undefined;
  try { oldTsDir = fs.readlinkSync(path.join(dir, DATA_DIR)); } catch { /* first write */ }

  const tsName = timestampDirName();
  const tsDir = path.join(dir, tsName);
  fs.mkdirSync(tsDir, { mode: 0o755 });
  for (const [rel, f] of payload) {
    const full = path.join(tsDir, rel);
    fs.mkdirSync(path.dirname(full), { recursive: true, mode: 0o755 });
    fs.writeFileSync(full, f.data);
    fs.chmodSync(full, f.mode); // chmod after write: the umask must not change the requested mode
  }

  // The switch: a new symlink renamed over the old one is one atomic step for readers.
  const tmpLink = path.join(dir, DATA_TMP);
  fs.rmSync(tmpLink, { force: true });
  fs.symlinkSync(tsName, tmpLink);
  fs.renameSync(tmpLink, path.join(dir, DATA_DIR));

  const wanted = topLevelNames(payload);
  for (const top of wanted) {
    const link = path.join(dir, top);
    const target = path.join(DATA_DIR, top);
    let current: string | undefined;
    try { current = fs.readlinkSync(link); } catch { /* missing, or not a link */ }
    if (current === target) continue;
    fs.rmSync(link, { recursive: true, force: true });
    fs.symlinkSync(target, link);
  }
  // Stale user-visible names and the previous timestamped dir go last, after readers switched.
  for (const name of fs.readdirSync(dir)) {
    if (name.startsWith('..')) {
      if (name !== DATA_DIR && name !== tsName && (name === oldTsDir || /^\.\.\d{4}_/.test(name))) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
      continue;
    }
    if (!wanted.has(name)) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
  }
  return true;
}
