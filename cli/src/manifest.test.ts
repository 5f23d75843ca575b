import { parseManifests } from './manifest';

describe('parseManifests', () => {
  it('every document with its number and first content line; empty documents skipped; Lists expanded', () => {
    const text = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n---\n# comment\napiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Secret, metadata: {name: s}}\n';
    const ms = parseManifests(text, 'f.yaml');
    expect(ms.map(m => [m.index, m.line, m.obj.kind, m.obj.metadata.name])).toEqual([[1, 1, 'ConfigMap', 'a'], [3, 7, 'Secret', 's']]);
  });

  it('YAML syntax errors name the file, line and column', () => {
    expect(() => parseManifests('a: 1\nb: [1, 2\nc: 3\n', 'bad.yaml')).toThrow(/^parsing bad\.yaml: line \d+, column \d+: \S/);
    expect(() => parseManifests('a: 1\na: 2\n', 'dup.yaml')).toThrow(/^parsing dup\.yaml: line 2, column 1: Map keys must be unique/);
  });

  it('missing apiVersion / kind / name, and non-objects, name the document and line', () => {
    expect(() => parseManifests('kind: Pod\nmetadata: {name: x}\n', 'p.yaml')).toThrow('p.yaml: document 1 (line 1): missing "apiVersion"');
    expect(() => parseManifests('apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n---\n\napiVersion: v1\nmetadata: {name: y}\n', 'p.yaml'))
      .toThrow('p.yaml: document 2 (line 6): missing "kind"');
    expect(() => parseManifests('apiVersion: v1\nkind: Pod\n', 'p.yaml')).toThrow('p.yaml: document 1 (line 1): missing "metadata.name"');
    expect(parseManifests('apiVersion: v1\nkind: Pod\nmetadata: {generateName: x-}\n', 'p.yaml', { requireName: false })).toHaveLength(1);
    expect(() => parseManifests('- a\n- b\n', 'l.yaml')).toThrow('l.yaml: document 1 (line 1): expected an object with apiVersion and kind, got a list');
    expect(() => parseManifests('apiVersion: 1\nkind: Pod\nmetadata: {name: x}\n', 'n.yaml')).toThrow('"apiVersion" must be a string, got 1');
  });
});
