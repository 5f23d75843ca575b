import type { Strategy } from '../strategy';
import { endpointSliceStrategy } from './endpointslices';

export { endpointSliceStrategy };
export const discoveryStrategies: Strategy[] = [endpointSliceStrategy];
