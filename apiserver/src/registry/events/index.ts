import type { Strategy } from '../strategy';
import { eventsV1Strategy } from './events';

export { eventsV1Strategy, eventRow, eventColumns } from './events';
export { coreToEventsV1, eventsV1ToCore } from './convert';
export const eventsStrategies: Strategy[] = [eventsV1Strategy];
