// Everything a command needs: the resolved config, the shared KubeClient, discovery, and output streams.
import { httpClient, KubeClient, type Resource } from '@mk8s/apimachinery';
import { loadConfig, type CliConfig } from './config';
import { Discovery, type ResourceType } from './discovery';
import { setServerForErrors } from './errors';
import type { Parsed } from './args';
import { str } from './args';

export interface Ctx {
  config: CliConfig;
  client: KubeClient;
  discovery: Discovery;
  /** -n was given explicitly (kubectl then checks manifests' namespaces against it). */
  explicitNamespace: boolean;
  out(s: string): void;
  err(s: string): void;
}

export function makeCtx(p: Parsed): Ctx {
  const config = loadConfig({ kubeconfig: str(p, 'kubeconfig'), server: str(p, 'server'), namespace: str(p, 'namespace'), context: str(p, 'context') });
  setServerForErrors(config.server);
  return {
    config,
    client: httpClient(config.server, 'mkctl/v0.1.0'),
    discovery: new Discovery(config.server),
    explicitNamespace: str(p, 'namespace') !== undefined,
    out: s => { process.stdout.write(s); },
    err: s => { process.stderr.write(s); },
  };
}

export const asResource = (t: ResourceType): Resource => ({ group: t.group, version: t.version, resource: t.resource });
/** The namespace a request for this type uses: none for cluster-scoped kinds. */
export const nsFor = (ctx: Ctx, t: ResourceType, allNamespaces = false) => (t.namespaced && !allNamespaces ? ctx.config.namespace : undefined);
