module.exports = require('../jest.workspace')('moderation', __dirname);
