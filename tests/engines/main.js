// The bundled page's entry: esbuild bundles it and worker.js from a project
// that installed the packed package, so 'logsoftmax' is node_modules' copy.
import * as lib from 'logsoftmax';
import { pageApp } from './compute.js';

window.app = pageApp(lib, new URL('./worker.js', import.meta.url));
document.body.dataset.ready = 'true';
