// Preloaded into the spawned server: @posts/kit and the bus SDK from their sources, as jest maps them, so no build is needed first.
const Module = require('node:module');
const path = require('node:path');

const LIB = path.join(__dirname, '..', '..', 'lib');
const SOURCES = {
  '@posts/kit': path.join(LIB, 'kit', 'src', 'index.ts'),
  '@posts/bus-client': path.join(LIB, 'bus-client', 'src', 'index.ts'),
  '@posts/bus-http': path.join(LIB, 'bus-http', 'src', 'index.ts'),
  '@posts/bus-jetstream': path.join(LIB, 'bus-jetstream', 'src', 'index.ts'),
};
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return resolve.call(this, SOURCES[request] ?? request, ...rest);
};
