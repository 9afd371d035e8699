module.exports = require('../../jest.workspace')('bus-jetstream', __dirname);
