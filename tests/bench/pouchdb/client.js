// client.js - one PouchDB field device, a fresh node process per command
// like the sambang CLI (tests/bench/pouchdb/run.sh). The local store is
// PouchDB's default on-disk LevelDB adapter (it must outlive the process,
// as sambang's SQLite store does); HTTP goes through a keep-alive agent.
//
//   node client.js load DIR FILE   adds FILE's rows (the `sambang import`
//                                  JSON Lines) as documents {_id, collection,
//                                  ...fields}
//   node client.js edit DIR FILE   sets each row's fields on its document
//   node client.js sync DIR URL    PouchDB.sync (push and pull, like
//                                  `sambang sync --once`) with URL/visits
'use strict';
const fs = require('fs');
const http = require('http');
const PouchDB = require('pouchdb');

function rows(file) {
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l !== '')
    .map((l) => JSON.parse(l));
}

function doc(row) {
  return Object.assign({ _id: row.id, collection: row.collection }, row.fields);
}

async function load(db, file) {
  const all = rows(file);
  for (let i = 0; i < all.length; i += 1000) {
    const res = await db.bulkDocs(all.slice(i, i + 1000).map(doc));
    for (const r of res) if (r.error) throw new Error(JSON.stringify(r));
  }
  return all.length;
}

async function edit(db, file) {
  const all = rows(file);
  const got = await db.allDocs({ keys: all.map((r) => r.id), include_docs: true });
  const docs = got.rows.map((g, i) => {
    if (!g.doc) throw new Error('no document ' + all[i].id);
    return Object.assign(g.doc, all[i].fields);
  });
  const res = await db.bulkDocs(docs);
  for (const r of res) if (r.error) throw new Error(JSON.stringify(r));
  return docs.length;
}

async function sync(db, url) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const remote = new PouchDB(url + '/visits', {
    fetch: (u, opts) => PouchDB.fetch(u, Object.assign({}, opts, { agent })),
  });
  const res = await PouchDB.sync(db, remote);
  agent.destroy();
  return 'pushed ' + res.push.docs_written + ', pulled ' + res.pull.docs_written;
}

async function main() {
  const [cmd, dir, arg] = process.argv.slice(2);
  if (!arg || !['load', 'edit', 'sync'].includes(cmd)) {
    console.error('usage: node client.js load|edit DIR FILE | sync DIR URL');
    process.exit(2);
  }
  const db = new PouchDB(dir);
  const out = cmd === 'load' ? await load(db, arg)
    : cmd === 'edit' ? await edit(db, arg) : await sync(db, arg);
  await db.close();
  console.log(cmd + ': ' + out);
}

main().catch((e) => {
  console.error('client.js: ' + (e && e.stack ? e.stack : e));
  process.exit(1);
});
