// server.js - the PouchDB side's server: express-pouchdb 4.2 over PouchDB 9
// with the in-memory adapter, on 127.0.0.1 (tests/bench/pouchdb/run.sh).
// usage: node server.js   (prints "listening on 127.0.0.1:PORT" once up)
'use strict';
const express = require('express');
const PouchDB = require('pouchdb')
  .plugin(require('pouchdb-adapter-memory'))
  .defaults({ adapter: 'memory' });

const app = express();
app.use('/', require('express-pouchdb')(PouchDB, {
  mode: 'minimumForPouchDB',
  inMemoryConfig: true,
  logPath: '/dev/null',
}));
const server = app.listen(0, '127.0.0.1', () => {
  console.log('listening on 127.0.0.1:' + server.address().port);
});
server.keepAliveTimeout = 60000;
