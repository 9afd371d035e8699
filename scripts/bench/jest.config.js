module.exports = require('../jest.preset')('bench', __dirname);
