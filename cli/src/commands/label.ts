// `label TYPE NAME key=value key2-`: merge-patches metadata.labels. An existing key with another value needs
// --overwrite; the line says labeled / unlabeled / not labeled.
import { labelValidation } from '@mk8s/apimachinery';
import { bool, str, type FlagSpec, type Parsed } from '../args';
import { asResource, nsFor, type Ctx } from '../context';
import { CliError, formatError } from '../errors';
import { typePrefix } from '../discovery';
import { resolveArgs } from '../resources';

export const labelFlags: FlagSpec[] = [
  { name: 'overwrite', type: 'bool', help: 'Replace existing values' },
  { name: 'selector', short: 'l', type: 'string', help: 'Label selector' },
  { name: 'all', type: 'bool', help: 'Every object of the type in the namespace' },
  { name: 'all-namespaces', short: 'A', type: 'bool', help: 'All namespaces' },
  { name: 'list', type: 'bool', help: 'Print the labels instead of changing them' },
];

export interface LabelChanges { set: Record<string, string>; remove: string[] }

/** `k=v` and `k-` arguments, each checked as upstream validates label keys and values. */
export function parseLabelSpecs(specs: string[]): LabelChanges {
  const out: LabelChanges = { set: {}, remove: [] };
  for (const s of specs) {
    if (s.endsWith('-') && !s.includes('=')) {
      const key = s.slice(0, -1);
      const errs = labelValidation.isQualifiedName(key);
      if (errs.length) throw new CliError(`invalid label spec: ${s}: ${errs.join('; ')}`);
      out.remove.push(key);
      continue;
    }
    const i = s.indexOf('=');
    const key = s.slice(0, i), value = s.slice(i + 1);
    const errs = [...labelValidation.isQualifiedName(key).map(e => `key ${JSON.stringify(key)}: ${e}`), ...labelValidation.isValidLabelValue(value).map(e => `value ${JSON.stringify(value)}: ${e}`)];
    if (i <= 0 || errs.length) throw new CliError(`invalid label spec: ${s}${errs.length ? `: ${errs.join('; ')}` : ''}`);
    if (key in out.set) throw new CliError(`invalid label spec: ${s}: key ${key} is given twice`);
    out.set[key] = value;
  }
  for (const k of out.remove) if (k in out.set) throw new CliError(`can not both modify and remove a label in the same command: ${k}`);
  return out;
}

const isSpec = (a: string) => a.includes('=') || (a.endsWith('-') && a.length > 1);

export async function runLabel(ctx: Ctx, p: Parsed): Promise<number> {
  const resArgs = p.positional.filter(a => !isSpec(a));
  const specs = p.positional.filter(isSpec);
  const list = bool(p, 'list');
  if (!specs.length && !list) throw new CliError('at least one label update is required');
  const changes = parseLabelSpecs(specs);
  const selector = str(p, 'selector'), all = bool(p, 'all'), allNs = bool(p, 'all-namespaces');
  const sels = await resolveArgs(ctx, resArgs, 'label');
  let failed = false;
  for (const s of sels) {
    const r = asResource(s.type);
    let objs: any[] = [];
    if (s.names) {
      for (const name of s.names) {
        try { objs.push(await ctx.client.get(r, nsFor(ctx, s.type), name)); } catch (e) { ctx.err(`${formatError(e)}\n`); failed = true; }
      }
    } else {
      if (!selector && !all) throw new CliError('resource(s) were provided, but no name was specified');
      objs = (await ctx.client.list(r, nsFor(ctx, s.type, allNs), { labelSelector: selector })).items;
    }
    for (const obj of objs) {
      const cur: Record<string, string> = obj.metadata?.labels ?? {};
      const id = `${typePrefix(s.type)}/${obj.metadata.name}`;
      if (list) { for (const [k, v] of Object.entries(cur)) ctx.out(`${k}=${v}\n`); continue; }
      const patch: Record<string, string | null> = {};
      let conflict = false;
      for (const [k, v] of Object.entries(changes.set)) {
        if (k in cur && cur[k] !== v && !bool(p, 'overwrite')) {
          ctx.err(`error: '${k}' already has a value (${cur[k]}), and --overwrite is false\n`); conflict = true;
        } else if (cur[k] !== v) patch[k] = v;
      }
      if (conflict) { failed = true; continue; }
      for (const k of changes.remove) {
        if (k in cur) patch[k] = null; else ctx.err(`label "${k}" not found.\n`);
      }
      if (!Object.keys(patch).length) { ctx.out(`${id} not labeled\n`); continue; }
      try {
        await ctx.client.patch(r, obj.metadata.namespace, obj.metadata.name, 'merge', { metadata: { labels: patch } });
        const onlyRemoved = Object.values(patch).every(v => v === null);
        ctx.out(`${id} ${onlyRemoved ? 'unlabeled' : 'labeled'}\n`);
      } catch (e) { ctx.err(`${formatError(e)}\n`); failed = true; }
    }
  }
  return failed ? 1 : 0;
}
