// The batch/v1 group: Jobs and CronJobs.
import type { Strategy } from '../strategy';
import { cronJobStrategy } from './cronjobs';
import { jobStrategy } from './jobs';

export { cronJobStrategy, jobStrategy };
export { cronScheduleError } from './cron';

export const batchStrategies: Strategy[] = [jobStrategy, cronJobStrategy];
