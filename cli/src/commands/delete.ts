// `delete TYPE NAME...`, `-f FILE`, `-l SELECTOR`, `--all`: one DELETE per object (background cascade by
// default), `kind "name" deleted`, then (unless --wait=false) waits until each object is gone.
import { StatusError } from '@mk8s/apimachinery';
import { arr, bool, int, str, type FlagSpec, type Parsed } from '../args';
import { asResource, nsFor, type Ctx } from '../context';
import { CliError, formatError } from '../errors';
import { typePrefix, type ResourceType } from '../discovery';
import { loadManifests } from '../manifest';
import { resolveArgs } from '../resources';
import { targets } from './manifests';

export const deleteFlags: FlagSpec[] = [
  { name: 'filename', short: 'f', type: 'array', help: 'File, directory or - (stdin)' },
  { name: 'recursive', short: 'R', type: 'bool', help: 'Walk directories recursively' },
  { name: 'selector', short: 'l', type: 'string', help: 'Label selector' },
  { name: 'field-selector', type: 'string', help: 'Field selector' },
  { name: 'all', type: 'bool', help: 'Every object of the type in the namespace' },
  { name: 'all-namespaces', short: 'A', type: 'bool', help: 'All namespaces (with -l or --all)' },
  { name: 'grace-period', type: 'string', help: 'Seconds given to terminate (-1: the object\'s default)' },
  { name: 'now', type: 'bool', help: 'Same as --grace-period=1' },
  { name: 'force', type: 'bool', help: 'With --grace-period=0: remove immediately' },
  { name: 'wait', type: 'bool', help: 'Wait until the objects are gone (default true)' },
  { name: 'timeout', type: 'string', help: 'How long to wait, e.g. 30s (default: 60s + the grace period)' },
  { name: 'cascade', type: 'string', help: 'background|foreground|orphan' },
  { name: 'ignore-not-found', type: 'bool', help: 'A missing object is not an error' },
];

interface Victim { type: ResourceType; namespace?: string; name: string }

function parseDuration(v: string): number {
  const m = v.match(/^(\d+(?:\.\d+)?)(ms|s|m|h)?$/);
  if (!m) throw new CliError(`invalid argument "${v}" for "--timeout" flag: time: invalid duration "${v}"`);
  const n = Number(m[1]);
  return n * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as Record<string, number>)[m[2] ?? 's'];
}

function cascade(p: Parsed): string {
  const c = str(p, 'cascade') ?? 'background';
  const map: Record<string, string> = { background: 'Background', foreground: 'Foreground', orphan: 'Orphan', true: 'Background', false: 'Orphan' };
  if (!map[c]) throw new CliError(`invalid cascade value (${c}). Must be "background", "foreground", or "orphan".`);
  return map[c];
}

export async function runDelete(ctx: Ctx, p: Parsed): Promise<number> {
  let grace = int(p, 'grace-period') ?? -1;
  if (bool(p, 'now')) { if (grace !== -1) throw new CliError('--now and --grace-period cannot be specified together'); grace = 1; }
  if (bool(p, 'force') && grace === -1) grace = 0;
  if (grace === 0 && !bool(p, 'force')) grace = 1; // kubectl: 0 without --force means "as soon as possible" (1s)
  if (bool(p, 'force')) ctx.err('Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.\n');
  const policy = cascade(p);
  const files = arr(p, 'filename');
  const selector = str(p, 'selector'), fieldSelector = str(p, 'field-selector');
  const all = bool(p, 'all'), allNs = bool(p, 'all-namespaces');
  const ignoreNotFound = bool(p, 'ignore-not-found');
  let victims: Victim[] = [];
  if (files.length) {
    if (p.positional.length) throw new CliError('resource names cannot be given together with -f');
    victims = (await targets(ctx, loadManifests(files, { recursive: bool(p, 'recursive') }))).map(t => ({ type: t.type, namespace: t.namespace, name: t.name }));
  } else {
    const sels = await resolveArgs(ctx, p.positional, 'delete');
    for (const s of sels) {
      if (s.names) {
        if (selector || all) throw new CliError('name cannot be provided when a selector is specified');
        victims.push(...s.names.map(name => ({ type: s.type, namespace: nsFor(ctx, s.type), name })));
      } else {
        if (!selector && !fieldSelector && !all) throw new CliError('resource(s) were provided, but no name was specified');
        const list = await ctx.client.list(asResource(s.type), nsFor(ctx, s.type, allNs), { labelSelector: selector, fieldSelector });
        victims.push(...list.items.map((o: any) => ({ type: s.type, namespace: o.metadata?.namespace, name: o.metadata.name })));
      }
    }
    if (!victims.length) { ctx.err(allNs ? 'No resources found\n' : `No resources found in ${ctx.config.namespace} namespace.\n`); return 0; }
  }
  let failed = false;
  const deleted: Array<Victim & { uid?: string }> = [];
  for (const v of victims) {
    try {
      const res: any = await ctx.client.delete(asResource(v.type), v.namespace, v.name, { gracePeriodSeconds: grace >= 0 ? grace : undefined, propagationPolicy: policy });
      ctx.out(`${typePrefix(v.type)} "${v.name}" ${bool(p, 'force') ? 'force deleted' : 'deleted'}\n`);
      deleted.push({ ...v, uid: res?.metadata?.uid });
    } catch (e) {
      if (ignoreNotFound && e instanceof StatusError && e.code === 404) continue;
      ctx.err(`${formatError(e)}\n`);
      failed = true;
    }
  }
  if (bool(p, 'wait', true) && deleted.length) {
    const limit = str(p, 'timeout') ? parseDuration(str(p, 'timeout')!) : 60_000 + Math.max(grace, 30) * 1000;
    if (!(await waitGone(ctx, deleted, limit))) failed = true;
  }
  return failed ? 1 : 0;
}

/** Polls until every object is gone (or replaced by a new one of the same name); false on timeout. */
async function waitGone(ctx: Ctx, victims: Array<Victim & { uid?: string }>, limitMs: number): Promise<boolean> {
  const deadline = Date.now() + limitMs;
  let left = victims;
  while (left.length) {
    const still: typeof left = [];
    for (const v of left) {
      try {
        const o: any = await ctx.client.get(asResource(v.type), v.namespace, v.name);
        if (!v.uid || o?.metadata?.uid === v.uid) still.push(v);
      } catch (e) {
        if (!(e instanceof StatusError && e.code === 404)) throw e;
      }
    }
    left = still;
    if (!left.length) return true;
    if (Date.now() > deadline) {
      for (const v of left) ctx.err(`error: timed out waiting for the condition on ${v.type.resource}/${v.name}\n`);
      return false;
    }
    await new Promise(r => setTimeout(r, 200));
  }
  return true;
}
