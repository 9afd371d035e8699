module.exports = require('../jest.preset')('ops', __dirname);
