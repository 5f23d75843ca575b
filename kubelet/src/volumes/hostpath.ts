// hostPath `type` checks with upstream's messages (pkg/volume/hostpath/host_path.go checkTypeInternal).
import fs from 'node:fs';

export type HostPathType = '' | 'DirectoryOrCreate' | 'Directory' | 'FileOrCreate' | 'File' | 'Socket' | 'CharDevice' | 'BlockDevice';

function statOf(p: string): fs.Stats | undefined {
  try { return fs.statSync(p); } catch { return undefined; }
}

/** Checks (and for the *OrCreate types, creates) path; throws with upstream's wording on a mismatch. */
export function checkHostPathType(p: string, type: string | undefined): void {
  const st = statOf(p);
  const fail = (what: string) => { throw new Error(`hostPath type check failed: ${p} is not ${what}`); };
  switch (type ?? '') {
    case '': return; // no check: Docker creates a missing directory, as the upstream runtime does
    case 'DirectoryOrCreate':
      if (!st) { fs.mkdirSync(p, { recursive: true, mode: 0o755 }); fs.chmodSync(p, 0o755); return; }
      if (!st.isDirectory()) fail('a directory');
      return;
    case 'Directory': if (!st?.isDirectory()) fail('a directory'); return;
    case 'FileOrCreate':
      if (!st) {
        try { fs.writeFileSync(p, '', { flag: 'wx', mode: 0o644 }); } catch (e) {
          throw new Error(`hostPath type check failed: cannot create file ${p}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'parent directory does not exist' : (e as Error).message}`);
        }
        return;
      }
      if (!st.isFile()) fail('a file');
      return;
    case 'File': if (!st?.isFile()) fail('a file'); return;
    case 'Socket': if (!st?.isSocket()) fail('a socket file'); return;
    case 'CharDevice': if (!st?.isCharacterDevice()) fail('a character device'); return;
    case 'BlockDevice': if (!st?.isBlockDevice()) fail('a block device'); return;
    default: throw new Error(`${type} is an invalid volume type`);
  }
}
