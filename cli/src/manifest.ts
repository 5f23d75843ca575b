// Reading `-f FILE|DIR|-`: every YAML (or JSON) document of every file, each with where it came from, so a
// bad one is reported by file, document number and line (and the YAML parser's line and column).
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { CliError } from './errors';

export interface Manifest {
  /** The file as the user named it (`STDIN` for `-`). */
  source: string;
  /** 1-based position among the file's documents. */
  index: number;
  /** 1-based line where the document's content starts. */
  line: number;
  obj: any;
}

const MANIFEST_EXT = /\.(ya?ml|json)$/i;

function readStdin(): string {
  try { return fs.readFileSync(0, 'utf8'); } catch (e) {
    throw new CliError(`reading STDIN: ${(e as Error).message}`);
  }
}

/** The files a `-f` value stands for: itself, or a directory's manifests (recursively with -R). */
function expand(arg: string, recursive: boolean): string[] {
  let st: fs.Stats;
  try { st = fs.statSync(arg); } catch {
    throw new CliError(`the path "${arg}" does not exist`);
  }
  if (!st.isDirectory()) return [arg];
  const out: string[] = [];
  for (const e of fs.readdirSync(arg, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(arg, e.name);
    if (e.isDirectory()) { if (recursive) out.push(...expand(p, true)); }
    else if (MANIFEST_EXT.test(e.name)) out.push(p);
  }
  if (!out.length && !recursive) throw new CliError(`error reading ${arg}: no manifests (*.yaml, *.yml, *.json) in the directory`);
  return out;
}

/** The parser's message without its own position and source excerpt (we print ours). */
const shortMessage = (m: string) => m.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');

/** Every object in one file's text; `List` documents contribute their items. */
export function parseManifests(text: string, source: string, opts: { requireName?: boolean } = {}): Manifest[] {
  const lc = new YAML.LineCounter();
  const docs = YAML.parseAllDocuments(text, { lineCounter: lc, prettyErrors: true });
  const out: Manifest[] = [];
  const list = Array.isArray(docs) ? docs : [docs];
  list.forEach((doc, i) => {
    const err = doc.errors[0];
    if (err) {
      const pos = err.linePos?.[0];
      throw new CliError(`parsing ${source}: ${pos ? `line ${pos.line}, column ${pos.col}: ` : ''}${shortMessage(err.message)}`);
    }
    const start = (doc.contents as { range?: number[] } | null)?.range?.[0] ?? doc.range[0];
    const line = lc.linePos(start).line;
    const where = `${source}: document ${i + 1} (line ${line})`;
    let obj: unknown;
    try { obj = doc.toJS({ maxAliasCount: 100 }); } catch (e) {
      throw new CliError(`${where}: ${(e as Error).message}`);
    }
    if (obj === null || obj === undefined) return; // an empty document (a trailing ---, only comments)
    const items = isList(obj) ? (obj as any).items : [obj];
    items.forEach((item: unknown, j: number) => {
      const at = isList(obj) ? `${where}, item ${j + 1}` : where;
      checkObject(item, at, opts.requireName ?? true);
      out.push({ source, index: i + 1, line, obj: item });
    });
  });
  return out;
}

function isList(o: unknown): boolean {
  const x = o as any;
  return !!x && typeof x === 'object' && !Array.isArray(x) && typeof x.kind === 'string' && x.kind.endsWith('List') && Array.isArray(x.items);
}

function checkObject(o: unknown, where: string, requireName: boolean): void {
  if (!o || typeof o !== 'object' || Array.isArray(o)) {
    const got = Array.isArray(o) ? 'a list' : `${typeof o} ${JSON.stringify(o)}`;
    throw new CliError(`${where}: expected an object with apiVersion and kind, got ${got}`);
  }
  const x = o as any;
  for (const f of ['apiVersion', 'kind']) {
    if (x[f] === undefined || x[f] === null || x[f] === '') throw new CliError(`${where}: missing "${f}"`);
    if (typeof x[f] !== 'string') throw new CliError(`${where}: "${f}" must be a string, got ${JSON.stringify(x[f])}`);
  }
  if (x.metadata !== undefined && (typeof x.metadata !== 'object' || x.metadata === null || Array.isArray(x.metadata))) {
    throw new CliError(`${where}: "metadata" must be an object`);
  }
  if (requireName && !x.metadata?.name && !x.metadata?.generateName) throw new CliError(`${where}: missing "metadata.name"`);
}

/** All manifests named by repeated `-f` values. Every file is parsed before anything is sent. */
export function loadManifests(files: string[], opts: { recursive?: boolean; requireName?: boolean } = {}): Manifest[] {
  if (!files.length) throw new CliError('must specify one of -f and -k');
  const out: Manifest[] = [];
  for (const f of files) {
    if (f === '-') { out.push(...parseManifests(readStdin(), 'STDIN', opts)); continue; }
    for (const file of expand(f, opts.recursive ?? false)) {
      let text: string;
      try { text = fs.readFileSync(file, 'utf8'); } catch (e) {
        throw new CliError(`reading ${file}: ${(e as NodeJS.ErrnoException).code === 'EACCES' ? 'permission denied' : (e as Error).message}`);
      }
      out.push(...parseManifests(text, file, opts));
    }
  }
  return out;
}
