// Which apiserver and namespace a command talks to: --kubeconfig, else $KUBECONFIG (first existing entry of a
// colon-separated list), else ~/.mk8s/kubeconfig, else ~/.kube/config; --server and -n override.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { CliError } from './errors';

export interface CliConfig { server: string; namespace: string; kubeconfigPath?: string; context?: string }

export function kubeconfigPath(flag?: string, env = process.env): string | undefined {
  if (flag) return flag;
  const fromEnv = (env.KUBECONFIG ?? '').split(path.delimiter).filter(Boolean);
  if (fromEnv.length) return fromEnv.find(p => fs.existsSync(p)) ?? fromEnv[0];
  const home = env.HOME ?? os.homedir();
  return [path.join(home, '.mk8s', 'kubeconfig'), path.join(home, '.kube', 'config')].find(p => fs.existsSync(p));
}

export function loadConfig(opts: { kubeconfig?: string; server?: string; namespace?: string; context?: string }): CliConfig {
  const file = kubeconfigPath(opts.kubeconfig);
  let server = opts.server;
  let namespace: string | undefined;
  let contextName: string | undefined;
  if (file) {
    let doc: any;
    try { doc = YAML.parse(fs.readFileSync(file, 'utf8')); } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ENOENT') { if (!server) throw new CliError(`stat ${file}: no such file or directory`); }
      else throw new CliError(`error loading config file "${file}": ${err.message.split('\n')[0]}`);
    }
    if (doc) {
      contextName = opts.context ?? doc['current-context'];
      const contexts: any[] = Array.isArray(doc.contexts) ? doc.contexts : [];
      const ctxEntry = contexts.find(c => c?.name === contextName);
      if (opts.context && !ctxEntry) throw new CliError(`context was not found for specified context: ${opts.context}`);
      const ctx = ctxEntry?.context ?? contexts[0]?.context;
      namespace = ctx?.namespace;
      const clusters: any[] = Array.isArray(doc.clusters) ? doc.clusters : [];
      const cluster = clusters.find(c => c?.name === ctx?.cluster)?.cluster ?? clusters[0]?.cluster;
      server = server ?? cluster?.server;
    }
  }
  if (!server) {
    throw new CliError(file ? `kubeconfig ${file} names no cluster server for context ${JSON.stringify(contextName ?? '')}`
      : 'no kubeconfig found: pass --kubeconfig, set KUBECONFIG, or create ~/.mk8s/kubeconfig (deploy/up.sh writes it)');
  }
  try { new URL(server); } catch { throw new CliError(`invalid server URL ${JSON.stringify(server)}`); }
  return { server, namespace: opts.namespace ?? namespace ?? 'default', kubeconfigPath: file, context: contextName };
}
