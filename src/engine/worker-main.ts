// Entry point of a worker process (forked by the primary through node:cluster).
import { runWorker } from './worker.js';
import type { Settings } from '../settings/index.js';
import { processLog, setProcessLog } from '../observe/logger.js';

const settings = JSON.parse(process.env.TURNPIKE_WORKER_SETTINGS ?? '{}') as Settings;
const index = Number(process.env.TURNPIKE_WORKER_INDEX ?? '0');
// Before anything can log: the worker's lines go to stderr with level names, as they always have.
setProcessLog({
  level: settings.logLevel ?? 'info',
  format: settings.logFormat ?? 'auto',
  to: 'stderr',
  levelAs: 'label',
});
processLog().debug({ worker: index }, `worker ${index} starting`);
void runWorker(settings, index);
