module.exports = require('../../jest.workspace')('bus-client', __dirname);
