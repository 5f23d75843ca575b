// What apply/create/delete share for `-f`: each manifest's resource type, namespace and name, with the file,
// document and line in every error about it.
import { CliError } from '../errors';
import type { Ctx } from '../context';
import type { ResourceType } from '../discovery';
import type { Manifest } from '../manifest';

export interface Target { m: Manifest; type: ResourceType; namespace?: string; name: string; where: string }

export async function targets(ctx: Ctx, manifests: Manifest[], opts: { allowGenerateName?: boolean } = {}): Promise<Target[]> {
  const out: Target[] = [];
  for (const m of manifests) {
    const where = `${m.source}: document ${m.index} (line ${m.line})`;
    let type: ResourceType;
    try { type = await ctx.discovery.forKind(m.obj.apiVersion, m.obj.kind); } catch (e) {
      if (e instanceof CliError) throw new CliError(`${where}: ${e.message}`);
      throw e;
    }
    const name: string = m.obj.metadata?.name ?? '';
    if (!name && !(opts.allowGenerateName && m.obj.metadata?.generateName)) throw new CliError(`${where}: missing "metadata.name"`);
    let namespace: string | undefined;
    if (type.namespaced) {
      const own: string | undefined = m.obj.metadata?.namespace;
      if (own && ctx.explicitNamespace && own !== ctx.config.namespace) {
        throw new CliError(`${where}: the namespace from the provided object "${own}" does not match the namespace "${ctx.config.namespace}". You must pass '--namespace=${own}' to perform this operation.`);
      }
      namespace = own || ctx.config.namespace;
    }
    out.push({ m, type, namespace, name, where });
  }
  return out;
}
