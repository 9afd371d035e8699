module.exports = require('../jest.preset')('runtime', __dirname);
