module.exports = require('../../jest.workspace')('bus-http', __dirname);
