// events.k8s.io/v1 <-> core v1 Event. Both APIs share one storage (`/registry/events`, core v1 form upstream);
// the newer API renames fields (note, regarding, reportingController, deprecated*). Pure functions.
import type { KObject } from '../strategy';

// [events.k8s.io/v1 field, core v1 field]
const renames: [string, string][] = [
  ['regarding', 'involvedObject'], ['note', 'message'], ['reportingController', 'reportingComponent'],
  ['deprecatedSource', 'source'], ['deprecatedFirstTimestamp', 'firstTimestamp'], ['deprecatedLastTimestamp', 'lastTimestamp'],
  ['deprecatedCount', 'count'],
];
const shared = ['metadata', 'reason', 'type', 'eventTime', 'series', 'related', 'reportingInstance', 'action'];

function mapFields(src: KObject, pairs: [string, string][], apiVersion: string): KObject {
  const out: KObject = { apiVersion, kind: 'Event', metadata: src.metadata };
  for (const k of shared) if (src[k] !== undefined) out[k] = src[k];
  for (const [from, to] of pairs) if (src[from] !== undefined) out[to] = src[from];
  return out;
}

/** A core v1 Event (storage form) from an events.k8s.io/v1 Event. */
export function eventsV1ToCore(ev: KObject): KObject {
  const out = mapFields(ev, renames, 'v1');
  if (out.source && typeof out.source === 'object' && Object.keys(out.source).length === 0) delete out.source;
  return out;
}

/** An events.k8s.io/v1 Event from a core v1 Event. */
export function coreToEventsV1(ev: KObject): KObject {
  const out = mapFields(ev, renames.map(([a, b]) => [b, a] as [string, string]), 'events.k8s.io/v1');
  // Core's zero count and empty source mean "unset" in the new API.
  if (out.deprecatedCount === 0) delete out.deprecatedCount;
  if (out.deprecatedSource && typeof out.deprecatedSource === 'object' && Object.keys(out.deprecatedSource).length === 0) delete out.deprecatedSource;
  return out;
}
