import { accessModesString, formatAge, formatLabels, humanDuration, layoutContainerCells } from './printers';

const s = 1000, m = 60 * s, h = 60 * m, d = 24 * h;

test('humanDuration follows upstream duration.HumanDuration', () => {
  expect(humanDuration(-5 * s)).toBe('<invalid>');
  expect(humanDuration(-1 * s)).toBe('0s');
  expect(humanDuration(45 * s)).toBe('45s');
  expect(humanDuration(119 * s)).toBe('119s');
  expect(humanDuration(5 * m + 12 * s)).toBe('5m12s');
  expect(humanDuration(5 * m)).toBe('5m');
  expect(humanDuration(42 * m + 30 * s)).toBe('42m');
  expect(humanDuration(3 * h + 5 * m)).toBe('3h5m');
  expect(humanDuration(20 * h)).toBe('20h');
  expect(humanDuration(2 * d + 3 * h)).toBe('2d3h');
  expect(humanDuration(3 * d)).toBe('3d');
  expect(humanDuration(400 * d)).toBe('400d');
  expect(humanDuration(2 * 365 * d + 30 * d)).toBe('2y30d');
  expect(humanDuration(9 * 365 * d)).toBe('9y');
});

test('formatAge and other cells', () => {
  const now = new Date('2024-01-01T00:10:00Z');
  expect(formatAge('2024-01-01T00:05:00Z', now)).toBe('5m');
  expect(formatAge(undefined, now)).toBe('<unknown>');
  expect(formatAge('garbage', now)).toBe('<unknown>');
  expect(formatLabels({ b: '2', a: '1' })).toBe('a=1,b=2');
  expect(formatLabels({})).toBe('<none>');
  expect(layoutContainerCells([{ name: 'a', image: 'x' }, { name: 'b', image: 'y' }])).toEqual(['a,b', 'x,y']);
  expect(accessModesString(['ReadWriteMany', 'ReadWriteOnce'])).toBe('RWO,RWX');
});
