// kubectl-style flags: `-n ns`, `-nns`, `--namespace ns`, `--namespace=ns`, `-oyaml`, repeatable `-f`,
// booleans (`-A`, `--wait=false`), and `--` ending flag parsing (for exec). Flags may come anywhere.
import { CliError } from './errors';

export type FlagType = 'bool' | 'string' | 'array';
export interface FlagSpec { name: string; short?: string; type: FlagType; help?: string }

export interface Parsed {
  positional: string[];
  flags: Record<string, string | boolean | string[] | undefined>;
  /** Everything after a bare `--`. */
  rest: string[];
  /** Whether a `--` was present. */
  dashDash: boolean;
}

const BOOL_WORDS: Record<string, boolean> = { true: true, false: false, '1': true, '0': false, t: true, f: false, yes: true, no: false };

function parseBool(flag: string, v: string): boolean {
  const b = BOOL_WORDS[v.toLowerCase()];
  if (b === undefined) throw new CliError(`invalid argument "${v}" for "--${flag}" flag: strconv.ParseBool: parsing "${v}": invalid syntax`);
  return b;
}

export function parseArgs(argv: string[], specs: FlagSpec[]): Parsed {
  const byName = new Map(specs.map(s => [s.name, s]));
  const byShort = new Map(specs.filter(s => s.short).map(s => [s.short!, s]));
  const out: Parsed = { positional: [], flags: {}, rest: [], dashDash: false };
  const set = (spec: FlagSpec, value: string | true) => {
    if (spec.type === 'bool') out.flags[spec.name] = value === true ? true : parseBool(spec.name, value);
    else if (value === true) throw new CliError(`flag needs an argument: --${spec.name}`);
    else if (spec.type === 'array') out.flags[spec.name] = [...((out.flags[spec.name] as string[] | undefined) ?? []), value];
    else out.flags[spec.name] = value;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') { out.dashDash = true; out.rest = argv.slice(i + 1); break; }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      const spec = byName.get(name);
      if (!spec) throw new CliError(`unknown flag: --${name}`);
      if (eq >= 0) set(spec, a.slice(eq + 1));
      else if (spec.type === 'bool') set(spec, true);
      else {
        if (i + 1 >= argv.length) throw new CliError(`flag needs an argument: --${name}`);
        set(spec, argv[++i]);
      }
      continue;
    }
    if (a.startsWith('-') && a.length > 1 && !/^-\d/.test(a)) {
      // a run of short booleans (-it) or one short flag with its value attached (-oyaml, -n=ns) or next
      for (let j = 1; j < a.length; j++) {
        const spec = byShort.get(a[j]);
        if (!spec) throw new CliError(`unknown shorthand flag: '${a[j]}' in ${a}`);
        if (spec.type === 'bool') {
          if (a[j + 1] === '=') { set(spec, a.slice(j + 2)); break; }
          set(spec, true);
          continue;
        }
        let v = a.slice(j + 1);
        if (v.startsWith('=')) v = v.slice(1);
        if (v === '') {
          if (i + 1 >= argv.length) throw new CliError(`flag needs an argument: '${a[j]}' in -${a[j]}`);
          v = argv[++i];
        }
        set(spec, v);
        break;
      }
      continue;
    }
    out.positional.push(a);
  }
  return out;
}

export const str = (p: Parsed, name: string): string | undefined => p.flags[name] as string | undefined;
export const bool = (p: Parsed, name: string, dflt = false): boolean => (p.flags[name] as boolean | undefined) ?? dflt;
export const arr = (p: Parsed, name: string): string[] => (p.flags[name] as string[] | undefined) ?? [];

/** An integer flag, with kubectl's wording when it is not one. */
export function int(p: Parsed, name: string): number | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v)) throw new CliError(`invalid argument "${v}" for "--${name}" flag: strconv.ParseInt: parsing "${v}": invalid syntax`);
  return Number(v);
}

/** Flags every command takes. */
export const GLOBAL_FLAGS: FlagSpec[] = [
  { name: 'kubeconfig', type: 'string', help: 'Path to the kubeconfig file' },
  { name: 'namespace', short: 'n', type: 'string', help: 'The namespace scope for this request' },
  { name: 'server', short: 's', type: 'string', help: 'The address of the API server' },
  { name: 'context', type: 'string', help: 'The kubeconfig context to use' },
  { name: 'request-timeout', type: 'string', help: 'Seconds to wait for a single request (0: no limit)' },
  { name: 'help', short: 'h', type: 'bool', help: 'Help for the command' },
];
