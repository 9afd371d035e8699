module.exports = require('../jest.workspace')('comments', __dirname);
