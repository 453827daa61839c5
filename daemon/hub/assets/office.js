// office.js - the office dashboard (daemon/hub/OFFICE.md). Data only
// through the JSON API; the DOM is built with createElement/textContent,
// never innerHTML, so a record value can never become markup.

const STRINGS = {
  id: {
    app_title: 'Sambang — Kantor', nav_overview: 'Ringkasan', nav_records: 'Data',
    nav_conflicts: 'Konflik', nav_devices: 'Perangkat', logout: 'Keluar',
    lang_switch: 'English', login_title: 'Masuk ke dasbor kantor',
    login_user: 'Nama pengguna', login_password: 'Kata sandi', login_submit: 'Masuk',
    bad_login: 'Nama pengguna atau kata sandi salah.',
    locked: 'Terlalu banyak percobaan gagal. Coba lagi dalam {s} detik.',
    records_per_collection: 'Data per koleksi', open_conflicts: 'Konflik terbuka',
    needs_review: 'Perlu ditinjau', stale_devices: 'Perangkat belum sinkron > {n} hari',
    held_pushes: 'Kiriman ditahan setelah pemulihan (sambang-hub held)',
    by_kecamatan: 'Penerima manfaat per kecamatan', by_group: 'Penerima manfaat per kelompok',
    visits_kecamatan: 'Kunjungan per bulan per kecamatan',
    visits_programme: 'Kunjungan per bulan per program',
    collection: 'Koleksi', kecamatan: 'Kecamatan', group: 'Kelompok', programme: 'Program',
    from: 'Dari tanggal', to: 'Sampai tanggal', has_conflict: 'Ada konflik',
    needs_review_f: 'Perlu ditinjau', search: 'Cari', apply: 'Terapkan',
    export_csv: 'Unduh CSV', all: '(semua)', total: 'Jumlah: {n}', prev: '‹ Sebelumnya',
    next: 'Berikutnya ›', page: 'Halaman {p}', id: 'ID', state: 'Status', scope_col: 'Cakupan', scope_all: 'semua',
    conflict: 'konflik', review: 'tinjau', open: 'Buka',
    field: 'Kolom', value: 'Nilai', device: 'Perangkat', time: 'Waktu',
    siblings: 'Nilai bersaing', pick: 'Pilih nilai ini', type_value: 'Nilai baru',
    resolve: 'Simpan penyelesaian', resolved: 'Tersimpan: penyelesaian akan tersinkron ke semua perangkat.',
    stale: 'Data berubah sejak halaman dimuat. Keadaan terbaru ditampilkan.',
    forbidden: 'Peran Anda tidak boleh melakukan ini.', no_conflicts: 'Tidak ada konflik.',
    name: 'Nama', last_seen: 'Terakhir terlihat', never: 'belum pernah', revoked: 'dicabut',
    active: 'aktif', revoke: 'Cabut', enrol: 'Daftarkan perangkat', scope: 'Cakupan (kecamatan, atau all)', token_once: 'Token (hanya ditampilkan sekali):',
    hub: 'hub (kantor)', deleted: 'dihapus', why: 'Alasan', error: 'Galat: {m}',
    record: '{c} · {i}', tombstones: 'Penghapusan', seq: 'Nomor perubahan',
    writers: 'Ditulis oleh', writes: '{d}: {n} kali', days: 'Hari:',
    set_scope: 'Simpan cakupan', rotate: 'Token baru', token_for: 'Token baru untuk {n} (hanya ditampilkan sekali; token lama tidak berlaku lagi):',
    scope_saved: 'Cakupan {n} disimpan: datanya menyesuaikan pada sinkronisasi berikutnya.',
    last_push: 'Terakhir kirim', last_pull: 'Terakhir ambil', app: 'Versi aplikasi',
    dev_pending: 'Belum terkirim', dev_refused: 'Ditolak hub',
    dev_copied: 'Dua penyimpanan menulis sebagai perangkat ini: push salah satunya ditolak ({when}); daftarkan penyimpanan itu sebagai perangkat tersendiri',
    nav_users: 'Pengguna', role: 'Peran', password: 'Kata sandi', add_user: 'Tambah pengguna',
    set_password: 'Ganti kata sandi', set_role: 'Ganti peran', remove: 'Hapus', changed: 'Diubah',
    confirm_remove: 'Hapus pengguna {n}?', saved: 'Tersimpan.', role_viewer: 'pembaca',
    role_reviewer: 'peninjau', role_admin: 'admin', yes: 'ya', no: 'tidak',
    edit_value: 'Ubah nilai', save_edit: 'Simpan perubahan', type_hint: 'teks / anak, miskin', nothing_typed: 'Ketik nilai baru terlebih dahulu.',
    saved_edit: 'Tersimpan: perubahan akan tersinkron ke semua perangkat.',
  },
  en: {
    app_title: 'Sambang — Office', nav_overview: 'Overview', nav_records: 'Records',
    nav_conflicts: 'Conflicts', nav_devices: 'Devices', logout: 'Log out',
    lang_switch: 'Bahasa Indonesia', login_title: 'Log in to the office dashboard',
    login_user: 'User name', login_password: 'Password', login_submit: 'Log in',
    bad_login: 'Wrong user name or password.',
    locked: 'Too many failed attempts. Try again in {s} seconds.',
    records_per_collection: 'Records per collection', open_conflicts: 'Open conflicts',
    needs_review: 'Needs review', stale_devices: 'Devices not synced for > {n} days',
    held_pushes: 'Pushes held after a restore (sambang-hub held)',
    by_kecamatan: 'Beneficiaries per kecamatan', by_group: 'Beneficiaries per group',
    visits_kecamatan: 'Visits per month per kecamatan',
    visits_programme: 'Visits per month per programme',
    collection: 'Collection', kecamatan: 'Kecamatan', group: 'Group', programme: 'Programme',
    from: 'From date', to: 'To date', has_conflict: 'Has conflict',
    needs_review_f: 'Needs review', search: 'Search', apply: 'Apply',
    export_csv: 'Download CSV', all: '(all)', total: 'Total: {n}', prev: '‹ Previous',
    next: 'Next ›', page: 'Page {p}', id: 'ID', state: 'State', scope_col: 'Scope', scope_all: 'all',
    conflict: 'conflict', review: 'review', open: 'Open',
    field: 'Field', value: 'Value', device: 'Device', time: 'Time',
    siblings: 'Competing values', pick: 'Pick this value', type_value: 'New value',
    resolve: 'Save resolution', resolved: 'Saved: the resolution will sync to every device.',
    stale: 'The record changed since the page loaded. The latest state is shown.',
    forbidden: 'Your role may not do this.', no_conflicts: 'No conflicts.',
    name: 'Name', last_seen: 'Last seen', never: 'never', revoked: 'revoked',
    active: 'active', revoke: 'Revoke', enrol: 'Enrol a device', scope: 'Scope (kecamatan, or all)', token_once: 'Token (shown once):',
    hub: 'hub (office)', deleted: 'deleted', why: 'Reason', error: 'Error: {m}',
    record: '{c} · {i}', tombstones: 'Deletes', seq: 'Change number',
    writers: 'Written by', writes: '{d}: {n}×', days: 'Days:',
    set_scope: 'Save scope', rotate: 'New token', token_for: 'New token for {n} (shown once; the old one no longer works):',
    scope_saved: 'Scope of {n} saved: its records follow at its next sync.',
    last_push: 'Last push', last_pull: 'Last pull', app: 'App version',
    dev_pending: 'Pending', dev_refused: 'Refused',
    dev_copied: 'Two stores write as this device: a push of one was refused ({when}); enrol that store as a device of its own',
    nav_users: 'Users', role: 'Role', password: 'Password', add_user: 'Add user',
    set_password: 'Change password', set_role: 'Change role', remove: 'Remove', changed: 'Changed',
    confirm_remove: 'Remove user {n}?', saved: 'Saved.', role_viewer: 'viewer',
    role_reviewer: 'reviewer', role_admin: 'admin', yes: 'yes', no: 'no',
    edit_value: 'Change a value', save_edit: 'Save change', type_hint: 'text / anak, miskin', nothing_typed: 'Type a new value first.',
    saved_edit: 'Saved: the change will sync to every device.',
  },
};

let lang = localStorage.getItem('sambang.lang') === 'en' ? 'en' : 'id';
const locale = () => (lang === 'en' ? 'en-GB' : 'id-ID');
function t(key, vars = {}) {
  let s = STRINGS[lang][key] ?? key;
  for (const [k, v] of Object.entries(vars)) s = s.replace('{' + k + '}', String(v));
  return s;
}
const fmtNum = (n) => new Intl.NumberFormat(locale()).format(n);
const fmtTime = (ms) => new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(ms));

function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const k of kids) if (k != null) e.append(k);
  return e;
}
const show = (v) => (v === undefined || v === null ? '' : typeof v === 'string' ? v : typeof v === 'boolean' ? t(v ? 'yes' : 'no')
  : Array.isArray(v) ? v.join(', ') : JSON.stringify(v));
// What people call a collection or a field: the schema's title in the
// page's language, else the English one, else the name.
const titleOf = (def, name) => (def?.title && (def.title[lang] ?? def.title.en)) ?? name;
const collTitle = (c) => titleOf(session?.collections?.[c], c);
// The schema's definition of field name of collection c (or undefined).
const fieldDef = (c, name) => session?.collections?.[c]?.fields.find((x) => x.name === name);
const fieldTitle = (c, f) => titleOf(fieldDef(c, f), f);
// A field's value in a cell: a ref as a link to the record it names.
function valueCell(coll, name, v, attrs = {}) {
  const f = fieldDef(coll, name);
  if (f?.ref && typeof v === 'string' && session.collections[f.ref])
    return el('td', attrs, el('a', { href: '#record/' + encodeURIComponent(f.ref) + '/' + encodeURIComponent(v), text: v }));
  return el('td', { ...attrs, text: showField(coll, name, v) });
}
// An enum value as the schema's label in the page's language (else the
// English label, else the value itself): field `name` of collection coll,
// or (coll null) the first field of that name that has labels.
function enumLabel(coll, name, v) {
  let labels = null;
  for (const [c, def] of Object.entries(session?.collections || {})) {
    if (coll !== null && c !== coll) continue;
    const f = def.fields.find((x) => x.name === name && x.labels);
    if (f) { labels = f.labels; break; }
  }
  return (labels && (labels[lang]?.[v] ?? labels.en?.[v])) ?? v;
}
// A field's value as people read it: enum values by their labels.
const showField = (coll, name, v) => (typeof v === 'string' ? enumLabel(coll, name, v)
  : Array.isArray(v) && v.every((x) => typeof x === 'string') ? v.map((x) => enumLabel(coll, name, x)).join(', ') : show(v));

function translateStatic() {
  document.documentElement.lang = lang;
  for (const e of document.querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
  const b = document.getElementById('lang');
  if (b) b.textContent = t('lang_switch');
}
// A message in the status line: an error unless said otherwise ('ok': done as asked; 'note').
function status(msg, kind = 'error') { const s = document.getElementById('status'); if (s) { s.textContent = msg || ''; s.className = kind; } }
// A request the hub refused: its message, as an error.
const refused = (res) => status(t('error', { m: res.body?.error?.message }));

let session = null;
let charts = [];

async function api(path, opts = {}) {
  // The hub's messages come back in the page's language.
  const headers = { 'Accept-Language': lang, ...(opts.headers || {}) };
  if (opts.method === 'POST' && session) headers['X-CSRF-Token'] = session.csrf;
  if (opts.json !== undefined) { headers['Content-Type'] = 'application/json'; opts.body = JSON.stringify(opts.json); }
  const res = await fetch(path, { method: opts.method || 'GET', headers, body: opts.body, credentials: 'same-origin' });
  if (res.status === 401) { location.href = '/login'; throw new Error('unauthorized'); }
  const body = await res.json().catch(() => null);
  return { status: res.status, body };
}

// --- login ---------------------------------------------------------------
function loginPage() {
  const form = document.getElementById('login');
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const fields = new URLSearchParams(new FormData(form));
    let res;
    // The hub checks one password at a time (503 with Retry-After while
    // another is checked): a moment later, again, a few times.
    for (let tries = 0; ; tries++) {
      res = await fetch('/login', { method: 'POST', headers: { 'Accept-Language': lang }, body: fields });
      const wait = Number(res.headers.get('Retry-After'));
      if (res.status !== 503 || tries >= 4 || !(wait > 0 && wait <= 5)) break;
      await new Promise((done) => setTimeout(done, wait * 1000));
    }
    if (res.ok) { location.href = '/'; return; }
    const body = await res.json().catch(() => null);
    if (res.status === 429) status(t('locked', { s: res.headers.get('Retry-After') || '?' }));
    else status(body?.error?.code === 'bad_login' ? t('bad_login') : t('error', { m: body?.error?.message || res.status }));
  });
}

// --- overview ------------------------------------------------------------
function chartCard(title, type, labels, datasets) {
  const canvas = el('canvas');
  // Chart.js sizes the canvas to its parent: a box of its own, below the title.
  const card = el('div', { class: 'chart' }, el('h3', { text: title }), el('div', { class: 'plot' }, canvas));
  queueMicrotask(() => {
    charts.push(new window.Chart(canvas, {
      type, data: { labels, datasets },
      options: { animation: false, responsive: true, maintainAspectRatio: false,
        locale: locale(),
        // one series: its name is the card's title already
        plugins: { legend: { display: type === 'doughnut' || datasets.length > 1 } },
        scales: type === 'bar' ? { x: { stacked: true }, y: { stacked: true, beginAtZero: true, grace: '5%', ticks: { precision: 0 } } } : undefined },
    }));
  });
  return card;
}
const PALETTE = ['#0f5c4d', '#e07a1f', '#3465a4', '#a33', '#75507b', '#4e9a06', '#c4a000', '#555753'];
function monthSeries(byMonth, name) {
  const months = Object.keys(byMonth).sort();
  const keys = [...new Set(months.flatMap((m) => Object.keys(byMonth[m])))].sort();
  return { months, datasets: keys.map((k, i) => ({ label: enumLabel(null, name, k), data: months.map((m) => byMonth[m][k] || 0), backgroundColor: PALETTE[i % PALETTE.length] })) };
}
async function overview(main, params) {
  // The stale-devices card's N days: the office chooses it (#overview?stale_days=7),
  // and the devices page flags by the same N for the rest of the session.
  const days = params.get('stale_days') || sessionStorage.getItem('stale_days');
  const { body: o } = await api('/api/overview' + (days ? '?stale_days=' + encodeURIComponent(days) : ''));
  if (!o || o.error) { status(t('error', { m: o?.error?.message })); return; }
  const cards = el('div', { class: 'cards' });
  for (const [c, n] of Object.entries(o.records)) cards.append(el('div', { class: 'card', 'data-collection': c }, el('div', { text: collTitle(c) }), el('div', { class: 'num', text: fmtNum(n) })));
  cards.append(el('div', { class: 'card' }, el('div', { text: t('open_conflicts') }), el('div', { class: 'num', text: fmtNum(o.open_conflicts) })));
  cards.append(el('div', { class: 'card' }, el('div', { text: t('needs_review') }), el('div', { class: 'num', text: fmtNum(o.needs_review) })));
  if (o.held_pushes > 0) cards.append(el('div', { class: 'card' }, el('div', { text: t('held_pushes') }), el('div', { class: 'num', text: fmtNum(o.held_pushes) })));
  sessionStorage.setItem('stale_days', String(o.stale_days));
  const stale = el('div', { class: 'card', id: 'stale' }, el('div', { text: t('stale_devices', { n: o.stale_days }) }),
    el('div', { class: 'num', text: fmtNum(o.stale_devices.length) }));
  const ul = el('ul');
  for (const d of o.stale_devices) ul.append(el('li', { text: d.name + ' — ' + (d.last_seen_ms ? fmtTime(d.last_seen_ms) : t('never')) }));
  if (o.stale_devices.length) stale.append(ul);
  stale.append(el('label', { class: 'meta' }, t('days') + ' ', el('input', { id: 'stale-days', type: 'number', min: '1', max: '3650', value: String(o.stale_days),
    onchange: (e) => { if (e.target.checkValidity()) location.hash = '#overview?stale_days=' + e.target.value; } })));
  cards.append(stale);
  const kec = o.beneficiaries_by_kecamatan, grp = o.beneficiaries_by_group;
  const mk = monthSeries(o.visits_by_month_kecamatan, 'kecamatan'), mp = monthSeries(o.visits_by_month_programme, 'programme');
  main.append(cards, el('div', { class: 'charts' },
    chartCard(t('by_kecamatan'), 'bar', Object.keys(kec), [{ label: t('by_kecamatan'), data: Object.values(kec), backgroundColor: PALETTE[0] }]),
    chartCard(t('by_group'), 'doughnut', Object.keys(grp).map((g) => enumLabel(null, 'groups', g)), [{ data: Object.values(grp), backgroundColor: PALETTE }]),
    chartCard(t('visits_kecamatan'), 'bar', mk.months, mk.datasets),
    chartCard(t('visits_programme'), 'bar', mp.months, mp.datasets)));
}

// --- records -------------------------------------------------------------
const FILTERS = ['kecamatan', 'group', 'programme', 'from', 'to', 'conflict', 'review', 'q'];
function enumValues(name) {
  for (const c of Object.values(session.collections)) for (const f of c.fields) if (f.name === (name === 'group' ? 'groups' : name) && f.values.length) return f.values;
  return null;
}
async function records(main, params) {
  const cols = Object.keys(session.collections);
  const coll = params.get('c') || cols[0];
  const page = Number(params.get('page') || 1);
  const form = el('form', { class: 'filters', id: 'filters' });
  const csel = el('select', { name: 'c' });
  for (const c of cols) csel.append(el('option', { value: c, text: collTitle(c) }));
  csel.value = coll;
  form.append(el('label', {}, t('collection'), csel));
  for (const f of FILTERS) {
    let input;
    const vals = enumValues(f);
    if (vals) { input = el('select', { name: f }, el('option', { value: '', text: t('all') })); for (const v of vals) input.append(el('option', { value: v, text: enumLabel(null, f === 'group' ? 'groups' : f, v) })); input.value = params.get(f) || ''; }
    else if (f === 'conflict' || f === 'review') { input = el('input', { type: 'checkbox', name: f, value: '1' }); input.checked = params.get(f) === '1'; }
    else { input = el('input', { name: f, type: f === 'from' || f === 'to' ? 'date' : 'search' }); input.value = params.get(f) || ''; }
    const label = { q: 'search', conflict: 'has_conflict', review: 'needs_review_f' }[f] || f;
    form.append(el('label', {}, t(label), input));
  }
  form.append(el('button', { type: 'submit', text: t('apply') }));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const p = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (v) p.set(k, v);
    location.hash = '#records?' + p.toString();
  });
  const q = new URLSearchParams();
  for (const f of FILTERS) if (params.get(f)) q.set(f, params.get(f));
  const csv = el('a', { href: '/export/' + encodeURIComponent(coll) + '.csv?' + q.toString(), id: 'csv', download: coll + '.csv', text: t('export_csv') });
  q.set('page', page); if (params.get('sort')) q.set('sort', params.get('sort')); if (params.get('desc')) q.set('desc', '1');
  const { body: r } = await api('/api/records/' + encodeURIComponent(coll) + '?' + q.toString());
  const fields = session.collections[coll].fields.map((f) => f.name);
  const head = el('tr', {}, el('th', { text: t('id') }));
  // A column sorts by a button (reachable by keyboard): a new column
  // ascending, the sorted one again the other way; aria-sort says which.
  const sorted = params.get('sort'), desc = !!params.get('desc');
  for (const f of fields) {
    const on = sorted === f;
    const sortBy = () => {
      params.set('sort', f);
      if (on && !desc) params.set('desc', '1'); else params.delete('desc');
      location.hash = '#records?' + params.toString();
    };
    head.append(el('th', { 'aria-sort': on ? (desc ? 'descending' : 'ascending') : 'none' },
      el('button', { type: 'button', class: 'sort', 'data-field': f, text: fieldTitle(coll, f), onclick: sortBy })));
  }
  head.append(el('th', { text: t('state') }));
  const table = el('table', { id: 'records' }, head);
  for (const row of r.rows) {
    const tr = el('tr', {}, el('td', {}, el('a', { href: '#record/' + encodeURIComponent(coll) + '/' + encodeURIComponent(row.id), text: row.id })));
    for (const f of fields) tr.append(valueCell(coll, f, row.values[f]));
    tr.append(el('td', { class: 'flag', text: [row.conflict ? t('conflict') : '', row.review ? t('review') : ''].filter(Boolean).join(', ') }));
    table.append(tr);
  }
  const pager = el('div', { class: 'pager' },
    el('span', { id: 'total', text: t('total', { n: fmtNum(r.total) }) }),
    page > 1 ? el('button', { type: 'button', text: t('prev'), onclick: () => { params.set('page', page - 1); location.hash = '#records?' + params; } }) : null,
    el('span', { text: t('page', { p: fmtNum(page) }) }),
    page * r.limit < r.total ? el('button', { type: 'button', text: t('next'), onclick: () => { params.set('page', page + 1); location.hash = '#records?' + params; } }) : null,
    csv);
  main.append(form, pager, table);
}

// --- record and resolution -----------------------------------------------
// Who wrote entry e: the office, a device's name, else its replica id.
function writer(e) {
  return e.hub ? t('hub') : (e.device || e.replica);
}
function entryLine(e) {
  return writer(e) + ' · ' + fmtTime(e.time_ms);
}
function recordView(main, rec) {
  main.append(el('h2', { text: t('record', { c: collTitle(rec.collection), i: rec.id }) }),
    el('p', { class: 'meta', text: t('seq') + ': ' + rec.seq + (rec.deleted ? ' · ' + t('deleted') : '') }),
    el('p', { class: 'meta', id: 'writers', text: t('writers') + ': ' + (rec.writers || []).map((w) => t('writes', { d: writer(w), n: w.writes })).join(' · ') }));
  if (rec.review) main.append(el('p', { class: 'flag', text: t('why') + ': ' + rec.why }));
  const table = el('table', { id: 'fields' }, el('tr', {}, el('th', { text: t('field') }), el('th', { text: t('value') }), el('th', { text: t('siblings') })));
  const choices = {};
  const canResolve = session.role !== 'viewer';
  // in the schema's order, as the records table
  const order = (session.collections[rec.collection]?.fields || []).map((f) => f.name);
  const rank = (n) => (order.includes(n) ? order.indexOf(n) : order.length);
  for (const [name, f] of Object.entries(rec.fields).sort((a, b) => rank(a[0]) - rank(b[0]))) {
    const sib = el('td');
    if (f.entries.length > 1) {
      for (const e of f.entries) {
        const box = el('div', { class: 'sibling' }, el('div', { class: 'value', text: showField(rec.collection, name, e.value) }), el('div', { class: 'meta', text: entryLine(e) }));
        if (canResolve) box.append(el('button', { type: 'button', class: 'pick', 'data-field': name, text: t('pick'), onclick: () => { choices[name] = e.value; status(fieldTitle(rec.collection, name) + ' ← ' + showField(rec.collection, name, e.value), 'note'); } }));
        sib.append(box);
      }
    } else {
      sib.append(el('span', { class: 'meta', text: entryLine(f.entries[0]) }));
    }
    table.append(el('tr', {}, el('td', { text: fieldTitle(rec.collection, name) }), valueCell(rec.collection, name, f.winner, { class: 'value' }), sib));
  }
  main.append(table);
  if (rec.tombstones.length) {
    const ul = el('ul');
    for (const e of rec.tombstones) ul.append(el('li', { text: entryLine(e) }));
    main.append(el('h3', { text: t('tombstones') }), ul);
  }
  // A reviewer settles a conflict, or corrects any live record (a write
  // of the hub's own, synced like a resolution: OFFICE.md, "Editing").
  if (!canResolve || rec.deleted) return;
  const settling = rec.conflict || rec.review;
  const fieldSel = el('select', { id: 'type-field' });
  for (const f of session.collections[rec.collection]?.fields || []) fieldSel.append(el('option', { value: f.name, text: titleOf(f, f.name) }));
  const typed = el('input', { id: 'type-value', placeholder: t('type_hint') });
  // An enum or yes/no field is chosen from its values, by their labels
  // (a programme's value is an English word the office need not know).
  const choice = el('select', { id: 'type-choice', hidden: '' });
  const defOf = () => fieldDef(rec.collection, fieldSel.value);
  const offer = () => {
    const f = defOf();
    const vals = f?.type === 'enum' ? f.values : f?.type === 'bool' ? [true, false] : null;
    choice.replaceChildren(el('option', { value: '', text: '—' }));
    for (const v of vals || []) choice.append(el('option', { value: JSON.stringify(v), text: showField(rec.collection, f.name, v) }));
    choice.hidden = !vals;
    typed.hidden = !!vals;
  };
  fieldSel.addEventListener('change', offer);
  offer();
  const save = el('button', { type: 'button', id: settling ? 'resolve' : 'save-edit', text: settling ? t('resolve') : t('save_edit') });
  save.addEventListener('click', async () => {
    const fields = { ...choices };
    if (!choice.hidden && choice.value) fields[fieldSel.value] = JSON.parse(choice.value);
    else if (choice.hidden && typed.value.trim()) fields[fieldSel.value] = typedValue(defOf(), typed.value.trim());
    if (!settling && !Object.keys(fields).length) { status(t('nothing_typed')); return; }
    for (const [name, f] of Object.entries(rec.fields)) if (!(name in fields) && f.entries.length > 1) fields[name] = f.winner;
    if (rec.delete_conflict && Object.keys(fields).length === 0) { const [n, f] = Object.entries(rec.fields)[0]; fields[n] = f.winner; }
    const res = await api('/api/resolve', { method: 'POST', json: { collection: rec.collection, id: rec.id, seq: rec.seq, fields } });
    if (res.status === 200) { await route(); status(settling ? t('resolved') : t('saved_edit'), 'ok'); }
    else if (res.status === 409) { main.replaceChildren(); recordView(main, res.body.record); status(t('stale')); }
    else if (res.status === 403) status(t('forbidden'));
    else status(t('error', { m: res.body?.error?.message || res.status }));
  });
  if (!settling) main.append(el('h3', { text: t('edit_value') }));
  main.append(el('div', { class: 'filters' }, el('label', {}, t('field'), fieldSel), el('label', {}, t('type_value'), typed, choice), save));
}
// A typed value as field f takes it (enum and yes/no fields are chosen,
// never typed): JSON of the field's own type ("\"a\"", ["a","b"], 5), else
// read as the CLI reads an option: a list split at commas, any other text
// as text (so a phone number 0812... or a kelurahan "123" stays text).
function typedValue(f, text) {
  const fits = (v) => (f?.type === 'enum_list' ? Array.isArray(v) : f?.type === 'int' ? Number.isInteger(v) : typeof v === 'string');
  try { const v = JSON.parse(text); if (v === null || fits(v)) return v; } catch { /* not JSON */ }
  if (f?.type === 'enum_list') return text.split(',').map((x) => x.trim()).filter(Boolean);
  return text;
}
async function recordPage(main, coll, id) {
  const res = await api('/api/record/' + encodeURIComponent(coll) + '/' + encodeURIComponent(id));
  if (res.status !== 200) { refused(res); return; }
  recordView(main, res.body);
}

// --- conflicts, devices --------------------------------------------------
async function conflicts(main) {
  const { body } = await api('/api/conflicts');
  if (!body.records.length) { main.append(el('p', { text: t('no_conflicts') })); return; }
  const table = el('table', { id: 'queue' }, el('tr', {}, el('th', { text: t('collection') }), el('th', { text: t('id') }), el('th', { text: t('siblings') }), el('th', { text: t('why') })));
  for (const r of body.records) {
    // What to choose between, a line per field: "Kelurahan: A (b) | B (a)".
    const sibs = el('td', { class: 'siblings' });
    for (const f of r.fields) {
      const vals = (r.siblings?.[f] || []).map((e) => showField(r.collection, f, e.value) + ' (' + writer(e) + ')');
      sibs.append(el('div', { text: fieldTitle(r.collection, f) + ': ' + vals.join(' | ') }));
    }
    if (r.delete_conflict) sibs.append(el('div', { text: '(' + t('deleted') + ')' }));
    table.append(el('tr', {}, el('td', { text: collTitle(r.collection) }),
      el('td', {}, el('a', { href: '#record/' + encodeURIComponent(r.collection) + '/' + encodeURIComponent(r.id), text: r.id })),
      sibs, el('td', { text: r.why || '' })));
  }
  main.append(table);
}
async function devices(main) {
  const { body } = await api('/api/devices');
  const when = (ms) => (ms ? fmtTime(ms) : t('never'));
  const staleDays = Number(sessionStorage.getItem('stale_days')) || 3; // the hub's default N
  const table = el('table', { id: 'devices' }, el('tr', {}, el('th', { text: t('name') }), el('th', { text: t('scope_col') }),
    el('th', { id: 'seen-col', text: t('last_seen'), title: t('stale_devices', { n: staleDays }) }),
    el('th', { text: t('last_push') }), el('th', { text: t('last_pull') }), el('th', { text: t('app') }), el('th', { text: t('dev_pending') }), el('th', { text: t('dev_refused') }),
    el('th', { text: t('state') }), el('th')));
  // As the device last said (null: it never did); a refusal is stuck there.
  const count = (n) => (n === null || n === undefined ? '—' : String(n));
  const out = el('p', { class: 'token', id: 'token-out' });
  const post = (d, what, json) => api('/api/devices/' + encodeURIComponent(d.name) + '/' + what, { method: 'POST', json });
  for (const d of body.devices) {
    const act = el('td', { class: 'actions' });
    if (session.role === 'admin' && !d.revoked) {
      // A new scope (records outside it leave the device at its next
      // sync), a new token (shown once; the old one stops working), revoke.
      const scope = el('input', { class: 'scope-edit', value: d.scope, 'aria-label': t('scope') });
      act.append(scope,
        el('button', { type: 'button', class: 'set-scope', text: t('set_scope'), onclick: async () => {
          const res = await post(d, 'scope', { scope: scope.value });
          if (res.status === 200) { await route(); status(t('scope_saved', { n: d.name }), 'ok'); } else refused(res);
        } }),
        el('button', { type: 'button', class: 'rotate', text: t('rotate'), onclick: async () => {
          const res = await post(d, 'rotate');
          if (res.status === 200) out.textContent = t('token_for', { n: d.name }) + ' ' + res.body.token;
          else refused(res);
        } }),
        el('button', { type: 'button', class: 'revoke', text: t('revoke'), onclick: async () => {
          const res = await post(d, 'revoke');
          if (res.status === 200) await route(); else refused(res);
        } }));
    }
    // An active device not seen for the overview's N days (or never)
    // stands out, as it is counted on the overview's card.
    const stale = !d.revoked && (!d.last_seen_ms || Date.now() - d.last_seen_ms > staleDays * 86400e3);
    // A store copied to a second machine: the hub took one, refused the
    // other (copied_store); the office enrols the other on its own.
    const nameCell = d.copied_ms
      ? el('td', { class: 'name flag' }, d.name, el('div', { class: 'copied', text: t('dev_copied', { when: when(d.copied_ms) }) }))
      : el('td', { text: d.name });
    table.append(el('tr', {}, nameCell, el('td', { class: 'scope', text: d.scope === 'all' ? t('scope_all') : d.scope.split(',').join(', ') }), el('td', { class: stale ? 'seen flag' : 'seen', text: when(d.last_seen_ms) }), el('td', { text: when(d.last_push_ms) }),
      el('td', { text: when(d.last_pull_ms) }), el('td', { text: d.app || '' }), el('td', { class: 'pending', text: count(d.pending) }),
      el('td', { class: d.refused > 0 ? 'refused flag' : 'refused', text: count(d.refused) }), el('td', { text: d.revoked ? t('revoked') : t('active') }), act));
  }
  main.append(table);
  if (session.role !== 'admin') return;
  const name = el('input', { id: 'enrol-name' });
  const scope = el('input', { id: 'enrol-scope', value: 'all' });
  main.append(el('div', { class: 'filters' }, el('label', {}, t('name'), name), el('label', {}, t('scope'), scope),
    el('button', { type: 'button', text: t('enrol'), onclick: async () => {
      const res = await api('/api/devices', { method: 'POST', json: { name: name.value, scope: scope.value } });
      if (res.status === 200) out.textContent = t('token_once') + ' ' + res.body.token;
      else refused(res);
    } })), out);
}

// --- users (admins) --------------------------------------------------------
const ROLES = ['viewer', 'reviewer', 'admin'];
function roleSelect(id, value) {
  const sel = el('select', { id });
  for (const r of ROLES) sel.append(el('option', { value: r, text: t('role_' + r) }));
  sel.value = value;
  return sel;
}
async function users(main) {
  const { status: st, body } = await api('/api/users');
  if (st !== 200) { status(st === 403 ? t('forbidden') : t('error', { m: body?.error?.message })); return; }
  const done = async (res) => {
    if (res.status === 200) { await route(); status(t('saved'), 'ok'); } else refused(res);
  };
  const table = el('table', { id: 'users' }, el('tr', {}, el('th', { text: t('name') }), el('th', { text: t('role') }),
    el('th', { text: t('changed') }), el('th', { text: t('set_password') }), el('th')));
  for (const u of body.users) {
    const path = '/api/users/' + encodeURIComponent(u.name);
    const role = roleSelect('role-' + u.name, u.role);
    role.addEventListener('change', async () => done(await api(path, { method: 'POST', json: { role: role.value } })));
    const pw = el('input', { type: 'password', autocomplete: 'new-password', id: 'pw-' + u.name });
    const act = el('td');
    if (u.name !== session.user) {
      act.append(el('button', { type: 'button', class: 'remove', text: t('remove'), onclick: async () => {
        if (confirm(t('confirm_remove', { n: u.name }))) done(await api(path + '/remove', { method: 'POST' }));
      } }));
    } else role.disabled = true;
    table.append(el('tr', {}, el('td', { text: u.name }), el('td', {}, role), el('td', { text: fmtTime(u.changed_ms) }),
      el('td', {}, pw, el('button', { type: 'button', text: t('set_password'), onclick: async () => done(await api(path, { method: 'POST', json: { password: pw.value } })) })),
      act));
  }
  main.append(table);
  const name = el('input', { id: 'user-name' });
  const role = roleSelect('user-role', 'viewer');
  const pw = el('input', { id: 'user-password', type: 'password', autocomplete: 'new-password' });
  main.append(el('div', { class: 'filters' }, el('label', {}, t('name'), name), el('label', {}, t('role'), role),
    el('label', {}, t('password'), pw),
    el('button', { type: 'button', id: 'user-add', text: t('add_user'), onclick: async () => done(await api('/api/users', { method: 'POST', json: { name: name.value, role: role.value, password: pw.value } })) })));
}

// --- the app -------------------------------------------------------------
async function route() {
  const main = document.getElementById('main');
  for (const c of charts) c.destroy();
  charts = [];
  main.replaceChildren();
  status('');
  const hash = location.hash.slice(1) || 'overview';
  const [path, query] = hash.split('?');
  const parts = path.split('/').map(decodeURIComponent);
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', a.getAttribute('href') === '#' + parts[0]);
  document.body.dataset.view = parts[0];
  try {
    if (parts[0] === 'records') await records(main, new URLSearchParams(query || ''));
    else if (parts[0] === 'record') await recordPage(main, parts[1], parts.slice(2).join('/'));
    else if (parts[0] === 'conflicts') await conflicts(main);
    else if (parts[0] === 'devices') await devices(main);
    else if (parts[0] === 'users') await users(main);
    else await overview(main, new URLSearchParams(query || ''));
    document.body.dataset.ready = hash;
  } catch (e) {
    status(t('error', { m: e.message }));
  }
}
async function app() {
  session = (await api('/api/session')).body;
  const who = () => { document.getElementById('who').textContent = session.user + ' (' + t('role_' + session.role) + ')'; };
  who();
  document.getElementById('lang')?.addEventListener('click', who);
  document.getElementById('nav-users').hidden = session.role !== 'admin';
  document.getElementById('logout').addEventListener('click', async () => { await api('/logout', { method: 'POST' }); location.href = '/login'; });
  window.addEventListener('hashchange', route);
  await route();
}

document.getElementById('lang')?.addEventListener('click', () => {
  lang = lang === 'id' ? 'en' : 'id';
  localStorage.setItem('sambang.lang', lang);
  translateStatic();
  if (document.body.dataset.page === 'app') route();
});
translateStatic();
if (document.body.dataset.page === 'login') loginPage(); else app();
