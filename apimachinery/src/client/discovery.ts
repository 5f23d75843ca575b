// Discovery over HTTP (legacy /api/v1 and /apis/<g>/<v>): which resources exist, their scope and verbs.
export interface DiscoveredResource { group: string; version: string; resource: string; kind: string; namespaced: boolean; verbs: string[] }

async function getJson(url: string): Promise<any> {
  const r = await fetch(url, { headers: { Accept: 'application/json' } });
  if (!r.ok) throw new Error(`GET ${url}: ${r.status}`);
  return r.json();
}

/** Every top-level resource in each group's preferred version. */
export async function discoverResources(server: string): Promise<DiscoveredResource[]> {
  const base = server.replace(/\/$/, '');
  const lists: { group: string; version: string; list: any }[] = [{ group: '', version: 'v1', list: await getJson(`${base}/api/v1`) }];
  const groups = await getJson(`${base}/apis`);
  for (const g of groups.groups ?? []) {
    const v = g.preferredVersion?.version ?? g.versions?.[0]?.version;
    lists.push({ group: g.name, version: v, list: await getJson(`${base}/apis/${g.name}/${v}`) });
  }
  const out: DiscoveredResource[] = [];
  for (const { group, version, list } of lists) {
    for (const r of list.resources ?? []) {
      if (String(r.name).includes('/')) continue;
      out.push({ group, version, resource: r.name, kind: r.kind, namespaced: !!r.namespaced, verbs: r.verbs ?? [] });
    }
  }
  return out;
}
