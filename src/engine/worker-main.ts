// Entry point of a worker process (forked by the primary through node:cluster).
import { runWorker } from './worker.js';
import type { Settings } from '../settings/index.js';

const settings = JSON.parse(process.env.TURNPIKE_WORKER_SETTINGS ?? '{}') as Settings;
void runWorker(settings, Number(process.env.TURNPIKE_WORKER_INDEX ?? '0'));
