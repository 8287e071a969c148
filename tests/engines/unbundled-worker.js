// The unbundled page's module worker: the package from the server's /js/.
import * as lib from '/js/index.js';
import { serveWorker } from './compute.js';

serveWorker(lib);
