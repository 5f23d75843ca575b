// The resource arguments of get/describe/delete/label/edit, as kubectl reads them: `TYPE`, `TYPE NAME...`,
// `TYPE1,TYPE2`, `TYPE/NAME...` (types may differ), each type resolved through discovery.
import { CliError } from './errors';
import type { Ctx } from './context';
import type { ResourceType } from './discovery';

export interface Selection { type: ResourceType; names?: string[] }

export async function resolveArgs(ctx: Ctx, args: string[], verb: string): Promise<Selection[]> {
  if (!args.length) {
    throw new CliError(`You must specify the type of resource to ${verb}. Use "mkctl api-resources" for a complete list of supported resources.`);
  }
  const slashed = args.filter(a => a.includes('/'));
  if (slashed.length) {
    if (slashed.length !== args.length) {
      throw new CliError('there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. \'mkctl get resource/<resource_name>\' instead of \'mkctl get resource resource/<resource_name>\')');
    }
    const out: Selection[] = [];
    for (const a of args) {
      const i = a.indexOf('/');
      const typeArg = a.slice(0, i), name = a.slice(i + 1);
      if (!typeArg || !name) throw new CliError(`arguments in resource/name form must have a single resource and name: ${JSON.stringify(a)}`);
      const type = await ctx.discovery.resolve(typeArg);
      const prev = out.find(s => s.type === type);
      if (prev) prev.names!.push(name); else out.push({ type, names: [name] });
    }
    return out;
  }
  const [typeArg, ...names] = args;
  const types = typeArg.split(',').filter(Boolean);
  if (!types.length) throw new CliError(`invalid resource type ${JSON.stringify(typeArg)}`);
  if (types.length > 1 && names.length) {
    const resolved = await Promise.all(types.map(t => ctx.discovery.resolve(t)));
    return resolved.map(type => ({ type, names: [...names] }));
  }
  const resolved = await Promise.all(types.map(t => ctx.discovery.resolve(t)));
  return resolved.map(type => ({ type, names: names.length ? names : undefined }));
}
