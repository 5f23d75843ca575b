// The EventSink the event recorder writes through (./events.ts), over a KubeClient (either transport): core/v1
// Events; a repeat is a strategic-merge PATCH of count/lastTimestamp/message on the first event (as upstream's
// events sink does), so concurrent repeats cannot lose counts to read-modify-write races.
import type { KubeClient } from './kubeclient';
import { resources } from './kubeclient';
import type { CoreEvent, EventPatch, EventSink } from './events';

export function eventSink(kube: KubeClient): EventSink {
  return {
    create: ev => kube.create<CoreEvent>(resources.events, ev.metadata.namespace, ev),
    patch: (ev, patch: EventPatch) => kube.patch<CoreEvent>(resources.events, ev.metadata.namespace, ev.metadata.name, 'strategic', patch),
    update: ev => kube.update<CoreEvent>(resources.events, ev.metadata.namespace, ev),
  };
}
