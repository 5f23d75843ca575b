#!/usr/bin/env node
// mkctl: the project's kubectl-style CLI, on the shared KubeClient (HTTP). Every failure ends as one
// `error: ...` / `Error from server (...)` line and a non-zero exit code, never a stack trace.
import { GLOBAL_FLAGS, parseArgs, type FlagSpec, type Parsed } from './args';
import { makeCtx, type Ctx } from './context';
import { CliError, formatError } from './errors';
import { getFlags, runGet } from './commands/get';
import { describeFlags, runDescribe } from './commands/describe';
import { applyFlags, runApply } from './commands/apply';
import { createFlags, runCreate } from './commands/create';
import { deleteFlags, runDelete } from './commands/delete';
import { editFlags, runEdit } from './commands/edit';
import { labelFlags, runLabel } from './commands/label';
import { execFlags, logsFlags, runExec, runLogs } from './commands/logs';
import { apiResourcesFlags, runApiResources, runClusterInfo, runVersion, versionFlags } from './commands/info';

interface Command { flags: FlagSpec[]; usage: string; summary: string; run(ctx: () => Ctx, p: Parsed): Promise<number> }

const withCtx = (f: (ctx: Ctx, p: Parsed) => Promise<number>) => (ctx: () => Ctx, p: Parsed) => f(ctx(), p);

const COMMANDS: Record<string, Command> = {
  get: { flags: getFlags, usage: 'get TYPE[.GROUP] [NAME...] | TYPE/NAME... [-o yaml|json|wide|name|jsonpath=...] [-l SEL] [-w]', summary: 'Display one or many resources', run: withCtx(runGet) },
  describe: { flags: describeFlags, usage: 'describe TYPE [NAME...] | TYPE/NAME', summary: 'Show details of resources, with their events', run: withCtx(runDescribe) },
  apply: { flags: applyFlags, usage: 'apply -f FILE|DIR|-', summary: 'Create or update objects by server-side apply', run: withCtx(runApply) },
  create: { flags: createFlags, usage: 'create -f FILE|DIR|-', summary: 'Create objects from manifests', run: withCtx(runCreate) },
  delete: { flags: deleteFlags, usage: 'delete TYPE NAME... | TYPE/NAME | -f FILE | TYPE -l SEL | TYPE --all', summary: 'Delete objects', run: withCtx(runDelete) },
  edit: { flags: editFlags, usage: 'edit TYPE NAME | TYPE/NAME', summary: 'Edit an object in $EDITOR and save it', run: withCtx(runEdit) },
  label: { flags: labelFlags, usage: 'label TYPE NAME key=value key2- [--overwrite]', summary: 'Add, change or remove labels', run: withCtx(runLabel) },
  logs: { flags: logsFlags, usage: 'logs POD [-c CONTAINER] [-f] [--tail N]', summary: 'Print a container\'s logs', run: withCtx(runLogs) },
  exec: { flags: execFlags, usage: 'exec POD [-c CONTAINER] [-i] [-t] -- COMMAND [ARGS...]', summary: 'Run a command in a container', run: withCtx(runExec) },
  version: { flags: versionFlags, usage: 'version [--client] [-o yaml|json]', summary: 'Client and server versions', run: (ctx, p) => runVersion(ctx, p) },
  'cluster-info': { flags: [], usage: 'cluster-info', summary: 'Where the control plane runs', run: withCtx(c => runClusterInfo(c)) },
  'api-resources': { flags: apiResourcesFlags, usage: 'api-resources [-o wide|name] [--namespaced=true|false] [--api-group=G]', summary: 'The resource types the server serves', run: withCtx(runApiResources) },
};

function help(): string {
  const lines = ['mkctl controls an mk8s cluster.', '', 'Commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(15)}${c.summary}`);
  lines.push('', 'Global flags:');
  for (const f of GLOBAL_FLAGS) lines.push(`  ${(f.short ? `-${f.short}, ` : '    ') + `--${f.name}`}`.padEnd(30) + (f.help ?? ''));
  lines.push('', 'Use "mkctl <command> --help" for more information about a command.', '');
  return lines.join('\n');
}

function commandHelp(name: string, c: Command): string {
  const lines = [c.summary + '.', '', `Usage:\n  mkctl ${c.usage}`, '', 'Flags:'];
  for (const f of [...c.flags, ...GLOBAL_FLAGS]) lines.push(`  ${(f.short ? `-${f.short}, ` : '    ') + `--${f.name}`}`.padEnd(30) + (f.help ?? ''));
  return lines.join('\n') + '\n';
}

/** The first word that is neither a flag nor the value of a global flag given as `--kubeconfig PATH` / `-n NS`. */
function commandName(argv: string[]): string | undefined {
  const takesValue = new Set(GLOBAL_FLAGS.filter(f => f.type !== 'bool').flatMap(f => [`--${f.name}`, ...(f.short ? [`-${f.short}`] : [])]));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') return undefined;
    if (takesValue.has(a)) { i++; continue; }
    if (!a.startsWith('-')) return a;
  }
  return undefined;
}

export async function main(argv: string[]): Promise<number> {
  const name = commandName(argv);
  if (!name || name === 'help') {
    // only global flags before the command (e.g. `mkctl --kubeconfig x`): print help
    process.stdout.write(help());
    return name || argv.some(a => a === '-h' || a === '--help') ? 0 : 1;
  }
  const cmd = COMMANDS[name];
  if (!cmd) throw new CliError(`unknown command "${name}" for "mkctl"\nRun 'mkctl --help' for usage.`);
  const rest = [...argv];
  rest.splice(rest.indexOf(name), 1);
  const p = parseArgs(rest, [...cmd.flags, ...GLOBAL_FLAGS]);
  if (p.flags.help) { process.stdout.write(commandHelp(name, cmd)); return 0; }
  let ctx: Ctx | undefined;
  return cmd.run(() => (ctx ??= makeCtx(p)), p);
}

function fail(e: unknown): void {
  process.stderr.write(`${formatError(e)}\n`);
  process.exitCode = e instanceof CliError ? e.exitCode : 1;
}

if (require.main === module) {
  // a closed pipe (`mkctl get pods | head`) ends quietly
  process.stdout.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'EPIPE') process.exit(0); });
  process.on('unhandledRejection', e => { fail(e); process.exit(); });
  process.on('uncaughtException', e => { fail(e); process.exit(); });
  main(process.argv.slice(2)).then(code => {
    process.exitCode = code;
    // watch streams and keep-alive sockets would hold the process open; everything is written by now
    process.stdout.write('', () => process.exit());
  }, e => { fail(e); process.stdout.write('', () => process.exit()); });
}
