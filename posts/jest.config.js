module.exports = require('../jest.workspace')('posts', __dirname);
