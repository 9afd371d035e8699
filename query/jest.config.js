module.exports = require('../jest.workspace')('query', __dirname);
