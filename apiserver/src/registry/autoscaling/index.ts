// autoscaling: HorizontalPodAutoscalers in v2 (storage) and v1, one storage.
import type { Strategy } from '../strategy';
import { hpaV1Strategy, hpaV2Strategy } from './horizontalpodautoscalers';

export { hpaV1Strategy, hpaV2Strategy, formatHpaTargets } from './horizontalpodautoscalers';
export { hpaV1ToV2, hpaV2ToV1 } from './convert';
/** Storage version first. */
export const autoscalingStrategies: Strategy[] = [hpaV2Strategy, hpaV1Strategy];
