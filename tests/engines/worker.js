// The bundled page's module worker.
import * as lib from 'logsoftmax';
import { serveWorker } from './compute.js';

serveWorker(lib);
