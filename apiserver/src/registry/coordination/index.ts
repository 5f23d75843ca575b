import type { Strategy } from '../strategy';
import { leaseStrategy } from './leases';

export { leaseStrategy };
export const coordinationStrategies: Strategy[] = [leaseStrategy];
