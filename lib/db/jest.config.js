module.exports = require('../../jest.workspace')('db', __dirname);
