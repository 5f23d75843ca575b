import type { Strategy } from '../strategy';
import { podDisruptionBudgetStrategy } from './poddisruptionbudgets';

export { podDisruptionBudgetStrategy };
export const policyStrategies: Strategy[] = [podDisruptionBudgetStrategy];
