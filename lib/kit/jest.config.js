module.exports = require('../../jest.workspace')('kit', __dirname);
