// `version`, `cluster-info`, `api-resources`: what the client and server are, and what the server serves.
import { bool, str, type FlagSpec, type Parsed } from '../args';
import { type Ctx } from '../context';
import { CliError } from '../errors';
import { groupVersion } from '../discovery';
import { renderRows, toJson, toYaml } from '../printers';
import { rawGet } from '../rest';

export const CLIENT_VERSION = { major: '0', minor: '1', gitVersion: 'v0.1.0', platform: `${process.platform}/${process.arch}`, nodeVersion: process.version };

export const versionFlags: FlagSpec[] = [
  { name: 'client', type: 'bool', help: 'Client version only (no server needed)' },
  { name: 'output', short: 'o', type: 'string', help: 'yaml|json' },
];

export async function runVersion(ctx: () => Ctx, p: Parsed): Promise<number> {
  const o = str(p, 'output');
  if (o && o !== 'yaml' && o !== 'json') throw new CliError(`--output must be 'yaml' or 'json'`);
  const result: Record<string, unknown> = { clientVersion: CLIENT_VERSION };
  if (!bool(p, 'client')) {
    const c = ctx();
    result.serverVersion = await rawGet(c.config.server, '/version');
  }
  if (o === 'json') process.stdout.write(toJson(result));
  else if (o === 'yaml') process.stdout.write(toYaml(result));
  else {
    process.stdout.write(`Client Version: ${CLIENT_VERSION.gitVersion}\n`);
    if (result.serverVersion) process.stdout.write(`Server Version: ${(result.serverVersion as any).gitVersion}\n`);
  }
  return 0;
}

export async function runClusterInfo(ctx: Ctx): Promise<number> {
  const server = ctx.config.server.replace(/\/$/, '');
  // kubectl lists the kube-system services labelled as cluster services; that also proves the server answers
  const svcs = await ctx.client.list({ group: '', version: 'v1', resource: 'services' }, 'kube-system', { labelSelector: 'kubernetes.io/cluster-service=true' });
  ctx.out(`Kubernetes control plane is running at ${server}\n`);
  for (const s of svcs.items as any[]) {
    const name = s.metadata?.labels?.['kubernetes.io/name'] ?? s.metadata.name;
    const port = s.spec?.ports?.[0];
    const portPart = port ? `:${port.name || port.port}` : '';
    ctx.out(`${name} is running at ${server}/api/v1/namespaces/kube-system/services/${s.metadata.name}${portPart}/proxy\n`);
  }
  ctx.out('\nTo further debug and diagnose cluster problems, use \'mkctl get events -A\' and \'mkctl describe\'.\n');
  return 0;
}

export const apiResourcesFlags: FlagSpec[] = [
  { name: 'output', short: 'o', type: 'string', help: 'wide|name' },
  { name: 'namespaced', type: 'string', help: 'true|false: only namespaced (or cluster-scoped) kinds' },
  { name: 'api-group', type: 'string', help: 'Only this group ("" for core)' },
  { name: 'no-headers', type: 'bool', help: 'No header row' },
  { name: 'verbs', type: 'array', help: 'Only resources with these verbs' },
];

export async function runApiResources(ctx: Ctx, p: Parsed): Promise<number> {
  const o = str(p, 'output');
  if (o && o !== 'wide' && o !== 'name') throw new CliError(`--output ${o} is not available; use wide or name`);
  let list = await ctx.discovery.all();
  const ns = str(p, 'namespaced');
  if (ns !== undefined) {
    if (ns !== 'true' && ns !== 'false') throw new CliError(`invalid argument "${ns}" for "--namespaced" flag`);
    list = list.filter(t => t.namespaced === (ns === 'true'));
  }
  const group = str(p, 'api-group');
  if (group !== undefined) list = list.filter(t => t.group === group);
  const verbs = (p.flags.verbs as string[] | undefined)?.flatMap(v => v.split(',')) ?? [];
  if (verbs.length) list = list.filter(t => verbs.every(v => t.verbs.includes(v)));
  list = [...list].sort((a, b) => (a.group === b.group ? a.resource.localeCompare(b.resource) : a.group.localeCompare(b.group)));
  if (o === 'name') { ctx.out(list.map(t => `${t.resource}${t.group ? `.${t.group}` : ''}\n`).join('')); return 0; }
  const rows: string[][] = bool(p, 'no-headers') ? [] : [['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND', ...(o === 'wide' ? ['VERBS'] : [])]];
  for (const t of list) {
    rows.push([t.resource, t.shortNames.join(','), groupVersion(t), String(t.namespaced), t.kind, ...(o === 'wide' ? [`[${t.verbs.join(' ')}]`] : [])]);
  }
  ctx.out(renderRows(rows));
  return 0;
}
