// test_office.mjs - the office dashboard in headless Chromium (Debian's
// /usr/bin/chromium driven by playwright-core; no browser is downloaded).
// A real hub on 127.0.0.1 with two field devices: log in, the overview's
// charts drawn, records filtered, a conflict resolved in the page and seen
// on a device after `sambang sync --once`, the CSV download equal to
// `sambang-hub export --csv`, a hostile value shown as text, a viewer who
// cannot resolve. Screenshots of each page go to $SHOTS.
//
//   HUB=... SAMBANG=... SHOTS=DIR node tests/browser/test_office.mjs
import { chromium } from 'playwright-core';
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const HUB = process.env.HUB, SAMBANG = process.env.SAMBANG;
const SHOTS = process.env.SHOTS || join(process.cwd(), 'browser-shots');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
if (!HUB || !SAMBANG) throw new Error('set HUB and SAMBANG');
mkdirSync(SHOTS, { recursive: true });
const work = mkdtempSync(join(tmpdir(), 'sambang-office-'));
const env = { ...process.env, SAMBANG_HUB_DB: join(work, 'hub.db') };
let hubProc = null, browser = null;
const pageErrors = []; // errors thrown in the page (a CSP refusal included)
process.on('exit', () => { if (hubProc) hubProc.kill('SIGKILL'); });

function fail(msg) { throw new Error('FAIL: ' + msg); }
const hub = (args, input) => execFileSync(HUB, args, { env, input, encoding: 'utf8' });
const dev = (name, ...args) => execFileSync(SAMBANG, args, { env: { ...env, SAMBANG_DB: join(work, name + '.db') }, encoding: 'utf8' });

async function startHub() {
  hubProc = spawn(HUB, ['serve', '--listen', '127.0.0.1:0'], { env, stdio: ['ignore', 'pipe', 'ignore'] });
  const rl = createInterface({ input: hubProc.stdout });
  const line = await new Promise((resolve, reject) => {
    rl.once('line', resolve);
    hubProc.once('exit', () => reject(new Error('the hub exited')));
  });
  const m = /^listening on (127\.0\.0\.1:\d+)$/.exec(line);
  if (!m) fail('unexpected first line from the hub: ' + line);
  return 'http://' + m[1];
}

function conflict(id, a, b) { // devices a and b edit kelurahan of id at once
  dev('a', 'put', 'beneficiary', id, JSON.stringify({ kelurahan: a }));
  dev('b', 'put', 'beneficiary', id, JSON.stringify({ kelurahan: b }));
  dev('a', 'sync', '--once');
  dev('b', 'sync', '--once');
}

async function login(context, url, user, password) {
  const page = await context.newPage();
  const dialogs = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(url + '/');
  if (!page.url().endsWith('/login')) fail('without a session / must go to /login, at ' + page.url());
  await page.fill('input[name=user]', user);
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
  await page.waitForSelector('body[data-ready="overview"]');
  return { page, dialogs };
}
const ready = (page, view) => page.waitForSelector(`body[data-ready^="${view}"]`);
// The labels and dataset names of the charts drawn, one chart a line.
const chartText = (page) => page.evaluate(() => [...document.querySelectorAll('canvas')].map((c) => {
  const ch = window.Chart.getChart(c);
  return ch ? [...ch.data.labels, ...ch.data.datasets.map((d) => d.label)].join('|') : '';
}).join('\n'));

async function main() {
  hub(['init']);
  hub(['user', 'add', 'rina', '--role', 'reviewer'], 'review-pass-1\n');
  hub(['user', 'add', 'vika', '--role', 'viewer'], 'viewer-pass-1\n');
  hub(['user', 'add', 'ana', '--role', 'admin'], 'admin-pass-1\n');
  const url = await startHub();
  for (const d of ['a', 'b']) {
    const token = hub(['device', 'add', d, '--scope', 'all']).trim();
    dev(d, 'init', '--server', url, '--token', token);
  }
  const kec = ['Serpong', 'Ciputat', 'Pamulang', 'Setu'];
  const lines = [];
  for (let i = 1; i <= 40; i++) {
    lines.push(JSON.stringify({ collection: 'beneficiary', id: 'b' + i, fields: { name: 'Warga ' + i, groups: [i % 2 ? 'perempuan' : 'anak'], kecamatan: kec[i % 4], consent: true, kelurahan: 'K' + i } }));
    lines.push(JSON.stringify({ collection: 'visit', id: 'v' + i, fields: { beneficiary: 'b' + i, date: `2024-0${1 + (i % 6)}-1${i % 10}`, programme: i % 3 ? 'skills-cooking' : 'child-education' } }));
  }
  lines.push(JSON.stringify({ collection: 'beneficiary', id: 'evil', fields: { name: 'x', groups: ['miskin'], kecamatan: 'Setu', consent: true, kelurahan: '<script>alert(1)</script>' } }));
  execFileSync('sh', ['-c', `cat > ${join(work, 'seed.jsonl')}`], { input: lines.join('\n') + '\n' });
  dev('a', 'import', join(work, 'seed.jsonl'));
  dev('a', 'sync', '--once');
  dev('b', 'sync', '--once');
  conflict('b1', 'Cilenggang', 'Rawa Mekar Jaya');
  conflict('b2', 'Lengkong', 'Jelupang');

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    // playwright-core gives every launch a new empty --user-data-dir itself.
  });
  const ctx = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
  const { page, dialogs } = await login(ctx, url, 'rina', 'review-pass-1');

  // Overview: the charts are drawn (canvases with non-blank pixels).
  // (waits use selectors: waitForFunction would eval in the page, which
  // the strict CSP refuses, as it should)
  await page.locator('canvas').nth(3).waitFor();
  const drawn = await page.evaluate(() => [...document.querySelectorAll('canvas')].map((c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) return true;
    return false;
  }));
  if (drawn.length < 4 || drawn.some((x) => !x)) fail('charts not drawn: ' + drawn);
  await page.screenshot({ path: join(SHOTS, 'overview.png'), fullPage: true });
  // Groups and programmes by the schema's labels in the page's language
  // (Bahasa Indonesia by default), never as the stored values.
  const idCharts = await chartText(page);
  for (const want of ['Perempuan', 'Anak', 'Pelatihan keterampilan: memasak', 'Pendidikan anak'])
    if (!idCharts.includes(want)) fail('overview charts lack the label ' + want + ': ' + idCharts);
  if (/skills-cooking|perempuan/.test(idCharts)) fail('overview charts show stored values: ' + idCharts);
  // Collections by their schema titles; the stale-devices card counts
  // (none: both synced just now); every chart inside its card.
  if ((await page.textContent('.card[data-collection=beneficiary]')) !== 'Penerima manfaat41') fail('no beneficiary card by its title');
  if ((await page.textContent('#stale .num')) !== '0') fail('the stale-devices card must count 0');
  // The office chooses the card's N days; a bad one changes nothing.
  await page.fill('#stale-days', '7');
  await page.dispatchEvent('#stale-days', 'change');
  await ready(page, 'overview?stale_days=7');
  if (!(await page.textContent('#stale')).includes('> 7 hari')) fail('the stale card must follow the days chosen: ' + await page.textContent('#stale'));
  await page.fill('#stale-days', '0');
  await page.dispatchEvent('#stale-days', 'change');
  if (!(await page.evaluate(() => location.hash)).endsWith('stale_days=7')) fail('0 days must be refused by the page');
  if ((await page.textContent('#who')) !== 'rina (peninjau)') fail('the role must read in the page language: ' + await page.textContent('#who'));
  const spill = await page.evaluate(() => [...document.querySelectorAll('.chart')].filter((c) => {
    const box = c.getBoundingClientRect(), cv = c.querySelector('canvas').getBoundingClientRect();
    return cv.bottom > box.bottom + 0.5 || cv.right > box.right + 0.5 || cv.height < 100;
  }).map((c) => c.querySelector('h3').textContent));
  if (spill.length) fail('charts drawn outside their cards: ' + spill.join('; '));

  // Records: filter by kecamatan in the form.
  await page.click('a[href="#records"]');
  await ready(page, 'records');
  await page.selectOption('select[name=kecamatan]', 'Setu');
  await page.click('#filters button[type=submit]');
  await page.waitForSelector('body[data-ready*="kecamatan=Setu"]');
  const total = await page.textContent('#total');
  if (!/11/.test(total)) fail('kecamatan filter: ' + total); // 10 of b1..b40 and evil
  // Sorting by a column, from the keyboard: ascending first, then the
  // other way, and the header says which (aria-sort).
  const names = () => page.evaluate(() => {
    const ths = [...document.querySelectorAll('#records tr:first-child th')];
    const col = ths.findIndex((th) => th.querySelector('button[data-field="name"]'));
    return [...document.querySelectorAll('#records tr')].slice(1).map((tr) => tr.children[col].textContent);
  });
  const nameTh = 'th:has(button[data-field="name"])';
  await page.focus('button.sort[data-field="name"]');
  await page.keyboard.press('Enter');
  await page.waitForSelector('body[data-ready*="sort=name"]');
  if ((await page.getAttribute(nameTh, 'aria-sort')) !== 'ascending') fail('a first sort must be ascending');
  const asc = await names();
  await page.focus('button.sort[data-field="name"]');
  await page.keyboard.press('Enter');
  await page.waitForSelector('body[data-ready*="desc=1"]');
  if ((await page.getAttribute(nameTh, 'aria-sort')) !== 'descending') fail('a second sort must be descending');
  const descNames = await names();
  if (asc.length !== 11 || asc[0] === descNames[0] || JSON.stringify([...asc].reverse()) !== JSON.stringify(descNames))
    fail('sorting by name: ascending ' + asc.join('|') + ', descending ' + descNames.join('|'));
  // As an office reads a list: a number by its value, letters without case.
  if (asc[0] !== 'Warga 3' || asc[1] !== 'Warga 7' || asc[2] !== 'Warga 11' || asc[10] !== 'x')
    fail('names in an office\'s order: ' + asc.join('|'));
  // The hostile value is shown as text, and nothing ran.
  const cell = page.locator('td', { hasText: '<script>alert(1)</script>' });
  if ((await cell.count()) !== 1 || !(await cell.isVisible())) fail('the hostile value is not shown as text');
  if (dialogs.length) fail('a dialog fired: ' + dialogs);
  await page.screenshot({ path: join(SHOTS, 'records.png'), fullPage: true });
  // Columns by their titles, yes/no in words.
  const heads = await page.locator('#records th').allTextContents();
  for (const want of ['Nama', 'Kelompok', 'Persetujuan']) if (!heads.includes(want)) fail('no column titled ' + want + ': ' + heads);
  if (heads.includes('consent')) fail('a column headed by its field name: ' + heads);
  if (!(await page.locator('#records td', { hasText: /^ya$/ }).count()) || (await page.locator('#records td', { hasText: /^true$/ }).count()))
    fail('consent must read ya, not true');
  if ((await page.textContent('select[name=c] option[value=visit]')) !== 'Kunjungan') fail('no collection title in the filter');

  // CSV download equals `sambang-hub export --csv visit`.
  await page.goto(url + '/#records?c=visit');
  await ready(page, 'records?c=visit');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#csv')]);
  const csv = readFileSync(await download.path(), 'utf8');
  if (csv !== hub(['export', '--csv', 'visit'])) fail('the CSV download differs from export --csv');
  // The table and the programme filter show labels; the CSV keeps values.
  if (!(await page.locator('#records td', { hasText: /^Pelatihan keterampilan: memasak$/ }).count())) fail('no programme label in the visit table');
  if (await page.locator('#records td', { hasText: /^skills-cooking$/ }).count()) fail('a stored programme value in the visit table');
  if ((await page.textContent('select[name=programme] option[value=child-education]')) !== 'Pendidikan anak') fail('no label in the programme filter');
  if (!/skills-cooking/.test(csv) || /Pelatihan/.test(csv)) fail('the CSV must hold values, not labels');

  // Conflict queue, then resolve b1 in the page by picking a sibling.
  await page.click('a[href="#conflicts"]');
  await ready(page, 'conflicts');
  await page.screenshot({ path: join(SHOTS, 'conflicts.png'), fullPage: true });
  // The queue shows what to choose between, with the devices that wrote it.
  const line = await page.locator('#queue tr', { hasText: 'b1' }).locator('td.siblings').textContent();
  if (!/^Kelurahan: /.test(line) || !line.includes('Rawa Mekar Jaya (b)') || !line.includes('Cilenggang (a)'))
    fail('the conflict queue must show the competing values and their devices: ' + line);
  await page.click('a[href="#record/beneficiary/b1"]');
  await ready(page, 'record/beneficiary/b1');
  await page.screenshot({ path: join(SHOTS, 'record.png'), fullPage: true });
  if ((await page.textContent('h2')) !== 'Penerima manfaat · b1') fail('the record view must name its collection by title: ' + await page.textContent('h2'));
  if (!(await page.locator('#fields td', { hasText: /^Kelurahan$/ }).count())) fail('the record view must name fields by title');
  const writers = await page.textContent('#writers');
  if (!/^Ditulis oleh: /.test(writers) || !writers.includes('a: 2 kali') || !writers.includes('b: 1 kali'))
    fail('the record view must say who wrote it and how often: ' + writers);
  const sib = page.locator('.sibling', { hasText: 'Rawa Mekar Jaya' });
  await sib.locator('button.pick').click();
  await page.click('#resolve');
  await page.locator('.sibling').first().waitFor({ state: 'detached' });
  await ready(page, 'record/beneficiary/b1');
  await page.screenshot({ path: join(SHOTS, 'resolved.png'), fullPage: true });
  dev('a', 'sync', '--once');
  const got = JSON.parse(dev('a', '--json', 'get', 'beneficiary', 'b1'));
  if (JSON.stringify(got).indexOf('Rawa Mekar Jaya') < 0 || /Cilenggang/.test(JSON.stringify(got)))
    fail('device a did not receive the resolution: ' + JSON.stringify(got));
  if (/b1/.test(dev('a', 'conflicts'))) fail('device a still lists b1 in conflict');

  // A reviewer corrects a record in no conflict: the hub's own write,
  // which reaches a device like any other.
  await page.goto(url + '/#record/beneficiary/b3');
  await ready(page, 'record/beneficiary/b3');
  if (await page.locator('#resolve').count()) fail('a record in no conflict offers to resolve');
  await page.click('#save-edit');
  await page.locator('#status', { hasText: 'Ketik nilai baru terlebih dahulu.' }).waitFor();
  await page.selectOption('#type-field', 'kelurahan');
  await page.fill('#type-value', 'Kademangan');
  await page.click('#save-edit');
  await page.locator('#fields td.value', { hasText: /^Kademangan$/ }).waitFor();
  await page.locator('#status', { hasText: 'perubahan akan tersinkron' }).waitFor();
  // Typed as people type: a list at commas, a number-like text as text.
  await page.selectOption('#type-field', 'groups');
  await page.fill('#type-value', 'anak, miskin');
  await page.click('#save-edit');
  await page.locator('#fields td.value', { hasText: /^Anak, Keluarga miskin$/ }).waitFor();
  await page.selectOption('#type-field', 'contact');
  await page.fill('#type-value', '0812');
  await page.click('#save-edit');
  await page.locator('#fields td.value', { hasText: /^0812$/ }).waitFor();
  // An enum is chosen by its label; the value goes to the device.
  await page.goto(url + '/#record/visit/v4');
  await ready(page, 'record/visit/v4');
  if ((await page.getAttribute('#fields td.value a', 'href')) !== '#record/beneficiary/b4') fail('a visit must link to its beneficiary');
  await page.selectOption('#type-field', 'programme');
  if (await page.locator('#type-value').isVisible()) fail('an enum field must be chosen, not typed');
  await page.selectOption('#type-choice', { label: 'Pendidikan anak' });
  await page.screenshot({ path: join(SHOTS, 'edit.png'), fullPage: true });
  await page.click('#save-edit');
  await page.locator('#fields td.value', { hasText: /^Pendidikan anak$/ }).waitFor();
  dev('b', 'sync', '--once');
  if (JSON.parse(dev('b', '--json', 'get', 'visit', 'v4')).values.programme !== 'child-education')
    fail('device b did not receive the programme: ' + dev('b', '--json', 'get', 'visit', 'v4'));
  const b3 = JSON.parse(dev('b', '--json', 'get', 'beneficiary', 'b3')).values;
  if (b3.kelurahan !== 'Kademangan' || JSON.stringify(b3.groups) !== '["anak","miskin"]' || b3.contact !== '0812')
    fail('device b did not receive the corrections: ' + JSON.stringify(b3));

  await page.click('a[href="#devices"]');
  await ready(page, 'devices');
  if (!(await page.locator('#devices td', { hasText: /^a$/ }).count())) fail('device a not listed');
  if (!(await page.locator('#devices td.scope', { hasText: /^semua$/ }).count())) fail('no scope in the devices view');
  if (!(await page.locator('#devices td', { hasText: /^sambang\/\d+\.\d+\.\d+$/ }).count())) fail('no app version in the devices view');
  // what each device said it holds that is not at the hub (both synced all)
  if (!(await page.locator('#devices td.pending', { hasText: /^0$/ }).count())) fail('no pending count in the devices view');
  if (!(await page.locator('#devices td.refused', { hasText: /^0$/ }).count())) fail('no refused count in the devices view');
  if (await page.locator('a[href="#users"]').isVisible()) fail('a reviewer is offered the users page');
  await page.screenshot({ path: join(SHOTS, 'devices.png'), fullPage: true });

  // An admin manages users in the page: adds one, who can log in.
  const actx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const ad = await login(actx, url, 'ana', 'admin-pass-1');
  await ad.page.click('a[href="#users"]');
  await ready(ad.page, 'users');
  // A refusal reads in the page's language (the hub answers Accept-Language).
  await ad.page.fill('#user-name', 'budi');
  await ad.page.fill('#user-password', 'short');
  await ad.page.click('#user-add');
  // (a locator, not waitForFunction: the page's CSP forbids the eval that
  // its polling needs)
  await ad.page.locator('#status', { hasText: /kata sandi harus 8 sampai/ }).waitFor();
  await ad.page.fill('#user-name', 'budi');
  await ad.page.selectOption('#user-role', 'viewer');
  await ad.page.fill('#user-password', 'budi-pass-1');
  await ad.page.click('#user-add');
  await ad.page.locator('#users td', { hasText: /^budi$/ }).waitFor();
  await ad.page.screenshot({ path: join(SHOTS, 'users.png'), fullPage: true });
  if (!/^budi\tviewer/m.test(hub(['user', 'list']))) fail('the page did not add budi');
  const bctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await login(bctx, url, 'budi', 'budi-pass-1');
  await bctx.close();
  ad.page.removeAllListeners('dialog'); // login's dismisses every dialog
  ad.page.once('dialog', (d) => d.accept());
  await ad.page.click('#users tr:has(td:text-is("budi")) button.remove');
  await ad.page.locator('#users td', { hasText: /^budi$/ }).waitFor({ state: 'detached' });
  if (/^budi\t/m.test(hub(['user', 'list']))) fail('the page did not remove budi');
  // b's store copied to a second machine: the hub follows b and refuses
  // the copy's push (copied_store); the devices page flags b's name.
  for (const f of ['.db', '.db.token']) copyFileSync(join(work, 'b' + f), join(work, 'bcopy' + f));
  dev('b', 'put', 'beneficiary', 'b3', JSON.stringify({ kelurahan: 'From b' }));
  dev('bcopy', 'put', 'beneficiary', 'b3', JSON.stringify({ kelurahan: 'From the copy' }));
  dev('b', 'sync', '--once');
  let refusedCopy = '';
  try { dev('bcopy', 'sync', '--once'); } catch (e) { refusedCopy = String(e.stderr); }
  if (!refusedCopy.includes('copied_store')) fail('the copy of b was not refused: ' + refusedCopy);

  // An admin gives a device a new scope and a new token in the page.
  hub(['device', 'add', 'tab', '--scope', 'all']);
  await ad.page.click('a[href="#devices"]');
  await ready(ad.page, 'devices');
  const copiedNote = ad.page.locator('#devices td.name.flag div.copied');
  if ((await copiedNote.count()) !== 1) fail('the devices page must flag b, and only b, as copied');
  if (!/^bDua penyimpanan menulis sebagai perangkat ini/.test(await copiedNote.locator('xpath=..').textContent())) fail('the flag is not on b\'s name: ' + await copiedNote.locator('xpath=..').textContent());
  const tabRow = ad.page.locator('#devices tr:has(td:text-is("tab"))');
  // A refused scope is said as an error and changes nothing; a saved one
  // is said as done (not in the error's colour).
  await tabRow.locator('input.scope-edit').fill('Nowhere');
  await tabRow.locator('button.set-scope').click();
  await ad.page.locator('#status.error', { hasText: 'Nowhere' }).waitFor();
  if (!/^tab\t.*\tall$/m.test(hub(['device', 'list']))) fail('a refused scope changed tab: ' + hub(['device', 'list']));
  await tabRow.locator('input.scope-edit').fill('Setu');
  await tabRow.locator('button.set-scope').click();
  await ad.page.locator('#devices tr:has(td:text-is("tab")) td.scope', { hasText: /^Setu$/ }).waitFor();
  await ad.page.locator('#status.ok').waitFor();
  if ((await ad.page.evaluate(() => getComputedStyle(document.getElementById('status')).color)) === 'rgb(170, 51, 51)') fail('a saved scope is shown in the error colour');
  if (!/^tab\t.*\tSetu$/m.test(hub(['device', 'list']))) fail('the page did not set tab\'s scope: ' + hub(['device', 'list']));
  await ad.page.locator('#devices tr:has(td:text-is("tab")) button.rotate').click();
  await ad.page.locator('#token-out', { hasText: /^Token baru untuk tab .*: [0-9a-f]{64}$/ }).waitFor();
  await ad.page.screenshot({ path: join(SHOTS, 'devices-admin.png'), fullPage: true });
  // A device never seen stands out; one that synced just now does not.
  if (!(await ad.page.locator('#devices tr:has(td:text-is("tab")) td.seen.flag').count())) fail('a device never seen is not flagged');
  if (await ad.page.locator('#devices tr:has(td:text-is("a")) td.seen.flag').count()) fail('a device seen just now is flagged');
  // The devices page flags by the N days the overview chose: five days on,
  // "a" is not stale for N = 7, and it is for N = 3.
  await ad.page.clock.setFixedTime(Date.now() + 5 * 86400e3);
  for (const [n, flagged] of [[7, false], [3, true]]) {
    await ad.page.goto(url + '/#overview?stale_days=' + n);
    await ready(ad.page, 'overview?stale_days=' + n);
    await ad.page.click('a[href="#devices"]');
    await ready(ad.page, 'devices');
    const title = await ad.page.getAttribute('#seen-col', 'title');
    if (!title.includes('> ' + n + ' hari')) fail('the devices page must say its N days (' + n + '): ' + title);
    const got = (await ad.page.locator('#devices tr:has(td:text-is("a")) td.seen.flag').count()) > 0;
    if (got !== flagged) fail('with N = ' + n + ' days, a device seen 5 days ago must ' + (flagged ? '' : 'not ') + 'be flagged');
  }
  await actx.close();

  // A viewer: no personal field, no resolve button, the API refuses.
  const vctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const v = await login(vctx, url, 'vika', 'viewer-pass-1');
  await v.page.goto(url + '/#record/beneficiary/b2');
  await ready(v.page, 'record/beneficiary/b2');
  if (await v.page.locator('#resolve, #save-edit, button.pick').count()) fail('a viewer is offered to resolve or edit');
  if (await v.page.locator('td', { hasText: 'Warga 2' }).count()) fail('a viewer sees a name');
  const status = await v.page.evaluate(async () => {
    const s = await (await fetch('/api/session')).json();
    const r = await fetch('/api/resolve', { method: 'POST', headers: { 'X-CSRF-Token': s.csrf, 'Content-Type': 'application/json' },
      body: JSON.stringify({ collection: 'beneficiary', id: 'b2', seq: 1, fields: { kelurahan: 'x' } }) });
    return r.status;
  });
  if (status !== 403) fail('a viewer resolving got ' + status);
  await v.page.screenshot({ path: join(SHOTS, 'viewer-record.png'), fullPage: true });
  // The English switch.
  await v.page.click('#lang');
  await v.page.waitForSelector('html[lang=en]');
  if ((await v.page.textContent('a[href="#devices"]')) !== 'Devices') fail('no English');
  if ((await v.page.textContent('#who')) !== 'vika (viewer)') fail('no English role: ' + await v.page.textContent('#who'));
  await v.page.goto(url + '/#records?c=visit');
  await ready(v.page, 'records?c=visit');
  if (!(await v.page.locator('#records td', { hasText: /^Skills training: cooking$/ }).count())) fail('no English programme label');
  await v.page.goto(url + '/#records?c=beneficiary&kecamatan=Setu');
  await ready(v.page, 'records?c=beneficiary');
  if (!(await v.page.locator('#records td', { hasText: /^Below the poverty line$/ }).count())) fail('no English group label');
  if (!(await v.page.locator('#records th', { hasText: /^Groups$/ }).count())) fail('no English column title');
  await v.page.goto(url + '/#overview');
  await ready(v.page, 'overview');
  await v.page.locator('canvas').nth(3).waitFor();
  if ((await v.page.textContent('.card[data-collection=visit]')) !== 'Visits40') fail('no English collection title');
  const enCharts = await chartText(v.page);
  for (const want of ['Women', 'Children', 'Skills training: cooking', 'Education for children'])
    if (!enCharts.includes(want)) fail('English overview charts lack ' + want + ': ' + enCharts);
  if (pageErrors.length) fail('errors in the page: ' + pageErrors.join('; '));
  console.log('ok: screenshots in ' + SHOTS);
}

try {
  await main();
} finally {
  if (browser) await browser.close();
  if (hubProc) hubProc.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
}
