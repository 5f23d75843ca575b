import { jsonpath } from './jsonpath';
import { CliError } from './errors';

const list = {
  kind: 'List',
  items: [
    { metadata: { name: 'a', labels: { app: 'web', 'k8s.io/role': 'x' } }, spec: { replicas: 1, ports: [{ port: 80 }, { port: 443 }] } },
    { metadata: { name: 'b', labels: { app: 'db' } }, spec: { replicas: 3, ports: [{ port: 5432 }] } },
  ],
};

describe('jsonpath', () => {
  it('fields, [*] joined by spaces, index, negative index, slice', () => {
    expect(jsonpath('{.kind}', list)).toBe('List');
    expect(jsonpath('{.items[*].metadata.name}', list)).toBe('a b');
    expect(jsonpath('{.items[0].spec.ports[*].port}', list)).toBe('80 443');
    expect(jsonpath('{.items[-1].metadata.name}', list)).toBe('b');
    expect(jsonpath('{.items[0:1].metadata.name}', list)).toBe('a');
    expect(jsonpath('{$.items[1].spec.replicas}', list)).toBe('3');
  });

  it('range with literals, text with \\n, maps printed as JSON', () => {
    expect(jsonpath('{range .items[*]}{.metadata.name}:{.spec.replicas}{"\\n"}{end}', list)).toBe('a:1\nb:3\n');
    expect(jsonpath('names: {.items[*].metadata.name}\\n', list)).toBe('names: a b\n');
    expect(jsonpath('{.items[1].metadata.labels}', list)).toBe('{"app":"db"}');
    expect(jsonpath('{range .items}[{.metadata.name}]{end}', list)).toBe('[a][b]');
  });

  it('filters, recursive descent, quoted and escaped keys', () => {
    expect(jsonpath('{.items[?(@.metadata.labels.app=="db")].metadata.name}', list)).toBe('b');
    expect(jsonpath('{.items[?(@.spec.replicas>1)].metadata.name}', list)).toBe('b');
    expect(jsonpath('{..port}', list)).toBe('80 443 5432');
    expect(jsonpath("{.items[0].metadata.labels['k8s.io/role']}", list)).toBe('x');
    expect(jsonpath('{.items[0].metadata.labels.k8s\\.io/role}', list)).toBe('x');
  });

  it('missing keys print nothing (kubectl allows them)', () => {
    expect(jsonpath('{.items[0].status.phase}', list)).toBe('');
    expect(jsonpath('x{.nope}y', list)).toBe('xy');
  });

  it('bad templates are CliErrors, not crashes', () => {
    expect(() => jsonpath('{range .items[*]}{.a}', list)).toThrow(CliError);
    expect(() => jsonpath('{.a', list)).toThrow(/unclosed action/);
    expect(() => jsonpath('{end}', list)).toThrow(/not in range/);
    expect(() => jsonpath('{.items[x]}', list)).toThrow(/invalid array index/);
  });
});
