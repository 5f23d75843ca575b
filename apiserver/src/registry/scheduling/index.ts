import type { Strategy } from '../strategy';
import { priorityClassStrategy } from './priorityclasses';

export { priorityClassStrategy, systemPriorityClasses } from './priorityclasses';
export const schedulingStrategies: Strategy[] = [priorityClassStrategy];
