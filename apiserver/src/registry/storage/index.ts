import type { Strategy } from '../strategy';
import { storageClassStrategy } from './storageclasses';

export { storageClassStrategy, isDefaultClass } from './storageclasses';
export const storageStrategies: Strategy[] = [storageClassStrategy];
