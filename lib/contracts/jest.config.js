module.exports = require('../../jest.workspace')('contracts', __dirname);
