// `edit TYPE NAME`: the object as YAML in $KUBE_EDITOR / $EDITOR (vi), then a PUT of what was saved. An
// unchanged or emptied file cancels; a file that does not parse or is refused reopens with the error on top.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { type FlagSpec, type Parsed } from '../args';
import { asResource, nsFor, type Ctx } from '../context';
import { CliError, formatError } from '../errors';
import { groupVersion, typePrefix, type ResourceType } from '../discovery';
import { resolveArgs } from '../resources';
import { toYaml } from '../printers';

export const editFlags: FlagSpec[] = [];

const HEADER = [
  '# Please edit the object below. Lines beginning with a \'#\' will be ignored,',
  '# and an empty file will abort the edit. If an error occurs while saving this file will be',
  '# reopened with the relevant failures.',
  '#',
].join('\n');

/** Keys sorted at every level, so two objects compare by content. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map(k => [k, canonical((v as any)[k])]));
  return v;
}
const same = (a: unknown, b: unknown) => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));

function runEditor(file: string): void {
  const editor = process.env.KUBE_EDITOR || process.env.EDITOR || 'vi';
  const r = spawnSync('sh', ['-c', `${editor} "$1"`, 'mkctl-editor', file], { stdio: 'inherit' });
  if (r.error) throw new CliError(`there was a problem with the editor "${editor}": ${r.error.message}`);
  if (r.status !== 0) throw new CliError(`there was a problem with the editor "${editor}": it exited with ${r.status ?? r.signal}`);
}

const stripComments = (text: string) => text.split('\n').filter(l => !l.trimStart().startsWith('#')).join('\n');

async function editOne(ctx: Ctx, t: ResourceType, name: string, dir: string): Promise<number> {
  const r = asResource(t);
  const live: any = await ctx.client.get(r, nsFor(ctx, t), name);
  const original = { apiVersion: groupVersion(t), kind: t.kind, ...live, metadata: { ...live.metadata } };
  delete original.metadata.managedFields;
  const file = path.join(dir, `${t.resource}-${name}.yaml`);
  let body = toYaml(original);
  let problem = '';
  for (;;) {
    const shown = `${HEADER}\n${problem}${body}`;
    fs.writeFileSync(file, shown);
    runEditor(file);
    const saved = fs.readFileSync(file, 'utf8');
    const text = stripComments(saved);
    if (!text.trim()) { ctx.out('Edit cancelled, no changes made.\n'); return 0; }
    if (problem && saved === shown) {
      ctx.err(`error: Edit cancelled, no valid changes were saved.\nA copy of your changes has been stored to "${file}"\n`);
      return 1;
    }
    let edited: any;
    const doc = YAML.parseDocument(text, { prettyErrors: true });
    if (doc.errors.length) {
      const e = doc.errors[0], pos = e.linePos?.[0];
      problem = `# error: parsing the edited object: ${pos ? `line ${pos.line}, column ${pos.col}: ` : ''}${e.message.split('\n')[0]}\n#\n`;
      body = text; continue;
    }
    edited = doc.toJS();
    if (same(edited, original)) { ctx.out('Edit cancelled, no changes made.\n'); return 0; }
    if (edited?.apiVersion !== original.apiVersion || edited?.kind !== original.kind || edited?.metadata?.name !== original.metadata.name) {
      problem = '# error: At least one of apiVersion, kind and name was changed\n#\n';
      body = text; continue;
    }
    try {
      await ctx.client.update(r, nsFor(ctx, t), edited);
      ctx.out(`${typePrefix(t)}/${name} edited\n`);
      return 0;
    } catch (e) {
      problem = `${formatError(e).split('\n').map(l => `# ${l}`).join('\n')}\n#\n`;
      body = text;
    }
  }
}

export async function runEdit(ctx: Ctx, p: Parsed): Promise<number> {
  const sels = await resolveArgs(ctx, p.positional, 'edit');
  if (sels.some(s => !s.names)) throw new CliError('mkctl edit needs a name: edit TYPE NAME or TYPE/NAME');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mkctl-edit-'));
  let code = 0, keep = false;
  try {
    for (const s of sels) for (const name of s.names!) {
      try {
        const c = await editOne(ctx, s.type, name, dir);
        if (c) { code = c; keep = true; }
      } catch (e) {
        if (e instanceof CliError) throw e;
        ctx.err(`${formatError(e)}\n`); code = 1;
      }
    }
  } finally {
    if (!keep) fs.rmSync(dir, { recursive: true, force: true });
  }
  return code;
}
