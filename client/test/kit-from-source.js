// Preloaded into the spawned server: @posts/kit from its sources, as jest maps it, so no build is needed first.
const Module = require('node:module');
const path = require('node:path');

const KIT = path.join(__dirname, '..', '..', 'lib', 'kit', 'src', 'index.ts');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return resolve.call(this, request === '@posts/kit' ? KIT : request, ...rest);
};
