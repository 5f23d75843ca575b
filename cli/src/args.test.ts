import { parseArgs, type FlagSpec } from './args';

const specs: FlagSpec[] = [
  { name: 'namespace', short: 'n', type: 'string' },
  { name: 'output', short: 'o', type: 'string' },
  { name: 'filename', short: 'f', type: 'array' },
  { name: 'all-namespaces', short: 'A', type: 'bool' },
  { name: 'stdin', short: 'i', type: 'bool' },
  { name: 'tty', short: 't', type: 'bool' },
  { name: 'wait', type: 'bool' },
];

describe('parseArgs', () => {
  it('reads long, short, attached and = forms anywhere among positionals', () => {
    const p = parseArgs(['get', '-n', 'kube-system', 'pods', '-oyaml', '--filename=a.yaml', '-f', 'b.yaml', '-A'], specs);
    expect(p.positional).toEqual(['get', 'pods']);
    expect(p.flags).toEqual({ namespace: 'kube-system', output: 'yaml', filename: ['a.yaml', 'b.yaml'], 'all-namespaces': true });
  });

  it('combined short booleans, --flag=false, and -- ending flags', () => {
    const p = parseArgs(['-it', 'pod', '--wait=false', '--', 'ls', '-l'], specs);
    expect(p.flags).toEqual({ stdin: true, tty: true, wait: false });
    expect(p.positional).toEqual(['pod']);
    expect(p.rest).toEqual(['ls', '-l']);
    expect(p.dashDash).toBe(true);
  });

  it('unknown flags, missing values and bad booleans are errors', () => {
    expect(() => parseArgs(['--bogus'], specs)).toThrow('unknown flag: --bogus');
    expect(() => parseArgs(['-x'], specs)).toThrow("unknown shorthand flag: 'x' in -x");
    expect(() => parseArgs(['-n'], specs)).toThrow('flag needs an argument');
    expect(() => parseArgs(['--wait=maybe'], specs)).toThrow('invalid argument "maybe" for "--wait" flag');
  });
});
