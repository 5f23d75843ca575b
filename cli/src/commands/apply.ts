// `apply -f`: server-side apply with field manager mkctl (the server creates what is missing); the result
// line says created, configured (the object changed) or unchanged (same resourceVersion).
import { StatusError } from '@mk8s/apimachinery';
import { arr, bool, str, type FlagSpec, type Parsed } from '../args';
import { asResource, type Ctx } from '../context';
import { CliError, formatError } from '../errors';
import { typePrefix } from '../discovery';
import { loadManifests } from '../manifest';
import { formatObject, parseOutput } from '../printers';
import { targets } from './manifests';

export const FIELD_MANAGER = 'mkctl';

export const applyFlags: FlagSpec[] = [
  { name: 'filename', short: 'f', type: 'array', help: 'File, directory or - (stdin)' },
  { name: 'recursive', short: 'R', type: 'bool', help: 'Walk directories recursively' },
  { name: 'force-conflicts', type: 'bool', help: 'Take over fields other managers own' },
  { name: 'field-manager', type: 'string', help: 'Field manager name (default mkctl)' },
  { name: 'server-side', type: 'bool', help: 'Accepted for kubectl compatibility (apply is always server-side)' },
  { name: 'dry-run', type: 'string', help: 'none|server' },
  { name: 'output', short: 'o', type: 'string', help: 'yaml|json|name' },
];

export function dryRun(p: Parsed): boolean {
  const v = str(p, 'dry-run');
  if (v === undefined || v === 'none') return false;
  if (v === 'server') return true;
  if (v === 'client') throw new CliError('--dry-run=client is not supported by mkctl; use --dry-run=server');
  throw new CliError(`Invalid dry-run value (${v}). Must be "none", "server", or "client".`);
}

/** Keys sorted at every level; resourceVersion and managedFields timestamps left out. */
function canonical(v: unknown, key = ''): unknown {
  if (Array.isArray(v)) return v.map(x => canonical(x, key));
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return Object.fromEntries(Object.keys(o).sort()
      .filter(k => !(k === 'resourceVersion' && key === 'metadata') && !(k === 'time' && key === 'managedFields'))
      .map(k => [k, canonical(o[k], k)]));
  }
  return v;
}
export const sameContent = (a: unknown, b: unknown) => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));

const notFound = (e: unknown) => e instanceof StatusError && e.code === 404;

export async function runApply(ctx: Ctx, p: Parsed): Promise<number> {
  const files = arr(p, 'filename');
  if (!files.length) throw new CliError('must specify one of -f and -k');
  const fmt = str(p, 'output') ? parseOutput(str(p, 'output')) : undefined;
  const dry = dryRun(p);
  const list = await targets(ctx, loadManifests(files, { recursive: bool(p, 'recursive') }));
  for (const t of list) if (!t.name) throw new CliError(`${t.where}: cannot use generate name with apply`);
  let failed = false;
  for (const t of list) {
    const r = asResource(t.type);
    let before: any;
    try { before = await ctx.client.get(r, t.namespace, t.name); } catch (e) {
      if (!notFound(e)) { ctx.err(`${formatError(e, `error when retrieving current configuration of "${t.m.source}"`)}\n`); failed = true; continue; }
    }
    try {
      const q = { fieldManager: str(p, 'field-manager') ?? FIELD_MANAGER, force: bool(p, 'force-conflicts') };
      // an existing object is first applied as a dry run: when nothing would change, nothing is written
      let after: any, verb: string;
      if (before) {
        const preview = await ctx.client.patch(r, t.namespace, t.name, 'apply', t.m.obj, { ...q, dryRun: true });
        if (sameContent(before, preview)) { after = before; verb = 'unchanged'; }
        else { after = dry ? preview : await ctx.client.patch(r, t.namespace, t.name, 'apply', t.m.obj, q); verb = 'configured'; }
      } else {
        after = await ctx.client.patch(r, t.namespace, t.name, 'apply', t.m.obj, { ...q, dryRun: dry });
        verb = 'created';
      }
      if (fmt && fmt.kind !== 'table') ctx.out(formatObject(fmt, after, t.type));
      else ctx.out(`${typePrefix(t.type)}/${t.name} ${verb}${dry ? ' (server dry run)' : ''}\n`);
    } catch (e) {
      ctx.err(`${formatError(e, `error when ${before ? 'applying patch to' : 'creating'} "${t.m.source}"`)}\n`);
      failed = true;
    }
  }
  return failed ? 1 : 0;
}
