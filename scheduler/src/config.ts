// --config: a KubeSchedulerConfiguration-like YAML (kubescheduler.config.k8s.io/v1 shape): global queue and
// sampling settings, and profiles (one per schedulerName) whose plugin sets start from the defaults and are
// changed per extension point with enabled/disabled lists (`*` disables all defaults there) and weights.
import fs from 'node:fs';
import YAML from 'yaml';
import { DEFAULT_PLUGINS, registry } from './plugins';

export const EXTENSION_POINTS = ['preEnqueue', 'queueSort', 'preFilter', 'filter', 'postFilter', 'preScore', 'score'] as const;
export type ExtensionPoint = typeof EXTENSION_POINTS[number];

export interface PluginRef { name: string; weight?: number }
export interface PluginSet { enabled?: PluginRef[]; disabled?: { name: string }[] }

export interface ProfileConfig {
  schedulerName: string;
  percentageOfNodesToScore?: number;
  /** Resolved plugin names per extension point, in run order. */
  points: Record<ExtensionPoint, string[]>;
  weights: Record<string, number>;
  pluginArgs: Record<string, Record<string, unknown>>;
}

export interface SchedulerConfig {
  percentageOfNodesToScore: number;
  podInitialBackoffSeconds: number;
  podMaxBackoffSeconds: number;
  profiles: ProfileConfig[];
}

export class ConfigError extends Error {}

function fail(where: string, msg: string): never { throw new ConfigError(`scheduler config: ${where}: ${msg}`); }

function num(v: unknown, where: string, min: number, max: number, dflt: number): number {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) fail(where, `must be a number in ${min}..${max}, got ${JSON.stringify(v)}`);
  return v;
}

function pluginSet(v: unknown, where: string): PluginSet {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) fail(where, 'must be an object with enabled/disabled lists');
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) if (k !== 'enabled' && k !== 'disabled') fail(where, `unknown field ${JSON.stringify(k)}`);
  const list = (x: unknown, w: string) => {
    if (x === undefined || x === null) return [];
    if (!Array.isArray(x)) fail(w, 'must be a list');
    return x.map((e, i) => {
      if (!e || typeof e.name !== 'string' || !e.name) fail(`${w}[${i}]`, 'needs a plugin name');
      if (e.name !== '*' && !(e.name in registry)) fail(`${w}[${i}]`, `unknown plugin ${JSON.stringify(e.name)}; known: ${Object.keys(registry).join(', ')}`);
      if (e.weight !== undefined) num(e.weight, `${w}[${i}].weight`, 1, 100, 1);
      return { name: e.name as string, weight: e.weight as number | undefined };
    });
  };
  return { enabled: list(o.enabled, `${where}.enabled`), disabled: list(o.disabled, `${where}.disabled`) };
}

const has = (name: string, point: ExtensionPoint): boolean => {
  const p = registry[name](undefined, { cache: undefined as never, namespaceLabels: () => undefined, ownerSelector: () => undefined, runFilters: () => null });
  return typeof (p as unknown as Record<string, unknown>)[point === 'queueSort' ? 'less' : point] === 'function';
};

function resolveProfile(raw: Record<string, unknown>, i: number): ProfileConfig {
  const where = `profiles[${i}]`;
  const schedulerName = raw.schedulerName ?? 'default-scheduler';
  if (typeof schedulerName !== 'string' || !schedulerName) fail(`${where}.schedulerName`, 'must be a non-empty string');
  const plugins = (raw.plugins ?? {}) as Record<string, unknown>;
  if (typeof plugins !== 'object') fail(`${where}.plugins`, 'must be an object');
  for (const k of Object.keys(plugins)) {
    if (k !== 'multiPoint' && !(EXTENSION_POINTS as readonly string[]).includes(k) && k !== 'bind' && k !== 'reserve' && k !== 'permit' && k !== 'preBind' && k !== 'postBind') {
      fail(`${where}.plugins`, `unknown extension point ${JSON.stringify(k)}`);
    }
  }
  const multi = pluginSet(plugins.multiPoint, `${where}.plugins.multiPoint`);
  const weights: Record<string, number> = {};
  for (const d of DEFAULT_PLUGINS) if (d.weight) weights[d.name] = d.weight;
  let base = DEFAULT_PLUGINS.map(d => d.name);
  for (const d of multi.disabled ?? []) base = d.name === '*' ? [] : base.filter(n => n !== d.name);
  for (const e of multi.enabled ?? []) { if (!base.includes(e.name)) base.push(e.name); if (e.weight) weights[e.name] = e.weight; }
  const points = {} as Record<ExtensionPoint, string[]>;
  for (const point of EXTENSION_POINTS) {
    const set = pluginSet(plugins[point], `${where}.plugins.${point}`);
    let names = base.filter(n => has(n, point));
    for (const d of set.disabled ?? []) names = d.name === '*' ? [] : names.filter(n => n !== d.name);
    for (const e of set.enabled ?? []) {
      if (!has(e.name, point)) fail(`${where}.plugins.${point}`, `plugin ${e.name} does not extend ${point}`);
      if (!names.includes(e.name)) names.push(e.name);
      if (point === 'score' && e.weight) weights[e.name] = e.weight;
    }
    points[point] = names;
  }
  if (points.queueSort.length !== 1) fail(`${where}.plugins.queueSort`, `exactly one queue sort plugin is needed, got ${points.queueSort.length}`);
  // PreScore runs for the plugins that score (their per-pod precomputation)
  points.preScore = points.preScore.filter(n => points.score.includes(n));
  const pluginArgs: Record<string, Record<string, unknown>> = {};
  const pc = raw.pluginConfig ?? [];
  if (!Array.isArray(pc)) fail(`${where}.pluginConfig`, 'must be a list');
  pc.forEach((c: any, j: number) => {
    if (!c || typeof c.name !== 'string' || !(c.name in registry)) fail(`${where}.pluginConfig[${j}]`, `unknown plugin ${JSON.stringify(c?.name)}`);
    pluginArgs[c.name] = c.args ?? {};
  });
  const pct = raw.percentageOfNodesToScore;
  return {
    schedulerName, points, weights, pluginArgs,
    percentageOfNodesToScore: pct === undefined || pct === null ? undefined : num(pct, `${where}.percentageOfNodesToScore`, 0, 100, 0),
  };
}

/** Parses and validates a config document; every problem is a ConfigError naming the field. */
export function parseConfig(text: string): SchedulerConfig {
  let doc: unknown;
  try { doc = YAML.parse(text); } catch (e) { fail('YAML', (e as Error).message); }
  doc ??= {};
  if (typeof doc !== 'object' || Array.isArray(doc)) fail('document', 'must be a KubeSchedulerConfiguration object');
  const d = doc as Record<string, unknown>;
  if (d.kind !== undefined && d.kind !== 'KubeSchedulerConfiguration') fail('kind', `must be KubeSchedulerConfiguration, got ${JSON.stringify(d.kind)}`);
  const profilesRaw = d.profiles ?? [{}];
  if (!Array.isArray(profilesRaw) || profilesRaw.length === 0) fail('profiles', 'must be a non-empty list');
  const profiles = profilesRaw.map((p, i) => resolveProfile((p ?? {}) as Record<string, unknown>, i));
  const names = new Set<string>();
  for (const p of profiles) { if (names.has(p.schedulerName)) fail('profiles', `duplicate schedulerName ${p.schedulerName}`); names.add(p.schedulerName); }
  const sorts = new Set(profiles.map(p => p.points.queueSort[0]));
  if (sorts.size > 1) fail('profiles', 'all profiles must use the same queue sort plugin');
  const initial = num(d.podInitialBackoffSeconds, 'podInitialBackoffSeconds', 0.001, 3600, 1);
  const max = num(d.podMaxBackoffSeconds, 'podMaxBackoffSeconds', 0.001, 3600, 10);
  if (max < initial) fail('podMaxBackoffSeconds', 'must not be less than podInitialBackoffSeconds');
  return { percentageOfNodesToScore: num(d.percentageOfNodesToScore, 'percentageOfNodesToScore', 0, 100, 0), podInitialBackoffSeconds: initial, podMaxBackoffSeconds: max, profiles };
}

export function loadConfig(path: string | undefined): SchedulerConfig {
  if (!path) return parseConfig('');
  let text: string;
  try { text = fs.readFileSync(path, 'utf8'); } catch (e) { throw new ConfigError(`scheduler config: cannot read ${path}: ${(e as Error).message}`); }
  return parseConfig(text);
}
