// Every plugin bundled in this build. `bundledRegistry()` registers each one; append new
// plugins here (one import and one entry each), never reorder or remove others' lines.

import type { PluginModule } from '../sdk.js';
import requestTermination from './request-termination/index.js';
import cors from './cors/index.js';
import ipRestriction from './ip-restriction/index.js';

export const bundled: PluginModule[] = [
  requestTermination,
  cors,
  ipRestriction,
];
