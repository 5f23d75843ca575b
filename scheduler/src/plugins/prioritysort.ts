// PrioritySort (QueueSort): higher spec.priority first, then the pod that entered the queue earlier.
import type { Plugin } from '../framework';

export const NAME = 'PrioritySort';

export function prioritySort(): Plugin {
  return {
    name: NAME,
    less: (a, b) => a.priority > b.priority || (a.priority === b.priority && a.timestamp < b.timestamp),
  };
}
