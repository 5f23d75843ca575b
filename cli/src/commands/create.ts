// `create -f`: POST each manifest; an existing object is an AlreadyExists error for that document.
import { arr, bool, str, type FlagSpec, type Parsed } from '../args';
import { asResource, type Ctx } from '../context';
import { CliError, formatError } from '../errors';
import { typePrefix } from '../discovery';
import { loadManifests } from '../manifest';
import { formatObject, parseOutput } from '../printers';
import { targets } from './manifests';
import { dryRun, FIELD_MANAGER } from './apply';

export const createFlags: FlagSpec[] = [
  { name: 'filename', short: 'f', type: 'array', help: 'File, directory or - (stdin)' },
  { name: 'recursive', short: 'R', type: 'bool', help: 'Walk directories recursively' },
  { name: 'dry-run', type: 'string', help: 'none|server' },
  { name: 'output', short: 'o', type: 'string', help: 'yaml|json|name' },
];

export async function runCreate(ctx: Ctx, p: Parsed): Promise<number> {
  const files = arr(p, 'filename');
  if (!files.length) {
    if (p.positional.length) throw new CliError(`mkctl create supports only -f (no generator for ${JSON.stringify(p.positional[0])}); write a manifest and use -f`);
    throw new CliError('must specify one of -f and -k');
  }
  const fmt = str(p, 'output') ? parseOutput(str(p, 'output')) : undefined;
  const dry = dryRun(p);
  const list = await targets(ctx, loadManifests(files, { recursive: bool(p, 'recursive'), requireName: false }), { allowGenerateName: true });
  let failed = false;
  for (const t of list) {
    try {
      const created = await ctx.client.create(asResource(t.type), t.namespace, t.m.obj, { fieldManager: FIELD_MANAGER, dryRun: dry });
      if (fmt && fmt.kind !== 'table') ctx.out(formatObject(fmt, created, t.type));
      else ctx.out(`${typePrefix(t.type)}/${created?.metadata?.name ?? t.name} created${dry ? ' (server dry run)' : ''}\n`);
    } catch (e) {
      ctx.err(`${formatError(e, `error when creating "${t.m.source}"`)}\n`);
      failed = true;
    }
  }
  return failed ? 1 : 0;
}
