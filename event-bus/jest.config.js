module.exports = require('../jest.workspace')('event-bus', __dirname);
