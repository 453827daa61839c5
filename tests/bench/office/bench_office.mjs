// bench_office.mjs - the office dashboard's load time and weight with many
// records at the hub, in headless Chromium (Debian's /usr/bin/chromium,
// driven by tests/browser's playwright-core: run `npm ci` there first).
//
//   HUB=... SAMBANG=... [N=50000] [ROUNDS=3] [TYPE_MS=0] node tests/bench/office/bench_office.mjs
//
// A real hub on 127.0.0.1 holds N beneficiaries and N visits pushed by one
// device. Each round starts the hub afresh, logs in and times, from the
// login's submit to the view drawn (body[data-ready]): the overview (its
// charts), the visit table, every visit by date, the conflict queue; then
// 100 beneficiaries moved to another kecamatan are pushed and the same four
// views are timed again (the views follow the feed: OFFICE.md, "Cost").
// The bytes the page and its API calls weigh are counted from the
// responses. TYPE_MS: how long the user takes to type in the login form
// (the hub reads the office's facts meanwhile, hub_office_warm.c; 0: a
// script's instant submit). Prints one line per round and the medians.
import { chromium } from '../../browser/node_modules/playwright-core/index.mjs';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const HUB = process.env.HUB, SAMBANG = process.env.SAMBANG;
const N = Number(process.env.N || 50000), ROUNDS = Number(process.env.ROUNDS || 3);
const TYPE_MS = Number(process.env.TYPE_MS || 0);
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
if (!HUB || !SAMBANG) throw new Error('set HUB and SAMBANG');
const KEC = ['Serpong', 'Serpong Utara', 'Ciputat', 'Ciputat Timur', 'Pamulang', 'Pondok Aren', 'Setu'];
const GROUPS = ['perempuan', 'anak', 'disabilitas', 'miskin'];
const PROG = ['skills-cooking', 'skills-handicraft', 'child-education', 'women-food-business'];

const work = mkdtempSync(join(tmpdir(), 'sambang-bench-office-'));
const env = { ...process.env, SAMBANG_HUB_DB: join(work, 'hub.db') };
let hubProc = null;
process.on('exit', () => { if (hubProc) hubProc.kill('SIGKILL'); rmSync(work, { recursive: true, force: true }); });
const hub = (args, input) => execFileSync(HUB, args, { env, input, encoding: 'utf8' });
const dev = (...args) => execFileSync(SAMBANG, ['--db', join(work, 'a.db'), ...args], { env, encoding: 'utf8' });

async function startHub() {
  hubProc = spawn(HUB, ['serve', '--listen', '127.0.0.1:0'], { env, stdio: ['ignore', 'pipe', 'ignore'] });
  const line = await new Promise((resolve, reject) => {
    createInterface({ input: hubProc.stdout }).once('line', resolve);
    hubProc.once('exit', () => reject(new Error('the hub exited')));
  });
  return 'http://' + /127\.0\.0\.1:\d+/.exec(line)[0];
}
async function stopHub() {
  const p = hubProc;
  hubProc = null;
  await new Promise((resolve) => { p.once('exit', resolve); p.kill('SIGTERM'); });
}

function rows() {
  const out = [];
  for (let i = 0; i < N; i++) {
    out.push(JSON.stringify({ collection: 'beneficiary', id: 'b' + String(i).padStart(6, '0'),
      fields: { name: 'Nama ' + i, groups: [GROUPS[i % 4]], kecamatan: KEC[i % 7], consent: true, kelurahan: 'Kel ' + (i % 50) } }));
  }
  for (let i = 0; i < N; i++) {
    const month = String(i % 12 + 1).padStart(2, '0'), day = String(i % 28 + 1).padStart(2, '0');
    out.push(JSON.stringify({ collection: 'visit', id: 'v' + String(i).padStart(6, '0'),
      fields: { beneficiary: 'b' + String(i).padStart(6, '0'), date: `2026-${month}-${day}`, programme: PROG[i % 4], notes: 'catatan kunjungan ' + i } }));
  }
  return out.join('\n') + '\n';
}

// ms from navigating to hash until body[data-ready] names view.
async function timeView(page, url, hash, view) {
  const t0 = performance.now();
  await page.evaluate(() => document.body.removeAttribute('data-ready'));
  await page.goto(url + '/' + hash);
  await page.waitForSelector(`body[data-ready^="${view}"]`, { timeout: 120000 });
  return performance.now() - t0;
}

async function round(browser, r) {
  const url = await startHub();
  dev('sync', '--once', '--server', url);
  const context = await browser.newContext();
  const page = await context.newPage();
  let bytes = 0;
  page.on('response', async (res) => { try { bytes += (await res.body()).length; } catch { /* redirects */ } });
  await page.goto(url + '/');
  await page.fill('input[name=user]', 'ana');
  await page.fill('input[name=password]', 'admin-pass-1');
  if (TYPE_MS > 0) await new Promise((r) => setTimeout(r, TYPE_MS));
  const t0 = performance.now();
  await page.click('button[type=submit]');
  await page.waitForSelector('body[data-ready="overview"]', { timeout: 120000 });
  const first = { overview: performance.now() - t0, bytes };
  first.records = await timeView(page, url, '#records?c=visit', 'records');
  first.bydate = await timeView(page, url, '#records?c=visit&sort=date&desc=1', 'records');
  first.conflicts = await timeView(page, url, '#conflicts', 'conflicts');
  const moves = [];
  for (let i = 0; i < 100; i++) {
    const b = 'b' + String((i * 499 + r * 7) % N).padStart(6, '0');
    moves.push(JSON.stringify({ collection: 'beneficiary', id: b, fields: { kecamatan: KEC[(i + r) % 7] } }));
  }
  writeFileSync(join(work, 'moves.jsonl'), moves.join('\n') + '\n');
  dev('import', join(work, 'moves.jsonl'));
  dev('sync', '--once', '--server', url);
  const after = {};
  after.overview = await timeView(page, url, '#overview', 'overview');
  after.records = await timeView(page, url, '#records?c=visit', 'records');
  after.bydate = await timeView(page, url, '#records?c=visit&sort=date&desc=1', 'records');
  after.conflicts = await timeView(page, url, '#conflicts', 'conflicts');
  await context.close();
  await stopHub();
  return { first, after };
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const ms = (x) => x.toFixed(0).padStart(6) + ' ms';

async function main() {
  hub(['init']);
  hub(['user', 'add', 'ana', '--role', 'admin'], 'admin-pass-1\n');
  const token = hub(['device', 'add', 'a', '--scope', 'all']).trim();
  dev('init', '--server', 'http://127.0.0.1:9', '--token', token);
  writeFileSync(join(work, 'rows.jsonl'), rows());
  dev('import', join(work, 'rows.jsonl'));
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  const results = [];
  for (let r = 1; r <= ROUNDS; r++) {
    const x = await round(browser, r);
    results.push(x);
    console.log(`round ${r}: first look: overview ${ms(x.first.overview)} (${(x.first.bytes / 1024).toFixed(0)} KB), ` +
      `visits ${ms(x.first.records)}, by date ${ms(x.first.bydate)}, conflicts ${ms(x.first.conflicts)}; ` +
      `after 100 moves: overview ${ms(x.after.overview)}, visits ${ms(x.after.records)}, ` +
      `by date ${ms(x.after.bydate)}, conflicts ${ms(x.after.conflicts)}`);
  }
  await browser.close();
  const m = (f) => ms(median(results.map(f)));
  console.log(`medians of ${ROUNDS}, ${N} beneficiaries + ${N} visits:`);
  console.log(`  first look after the hub starts: overview ${m((x) => x.first.overview)}, visits ${m((x) => x.first.records)}, ` +
    `by date ${m((x) => x.first.bydate)}, conflicts ${m((x) => x.first.conflicts)}; page and overview weigh ` +
    `${(median(results.map((x) => x.first.bytes)) / 1024).toFixed(0)} KB`);
  console.log(`  after 100 beneficiaries moved and pushed: overview ${m((x) => x.after.overview)}, visits ${m((x) => x.after.records)}, ` +
    `by date ${m((x) => x.after.bydate)}, conflicts ${m((x) => x.after.conflicts)}`);
}
main().catch((e) => { console.error(e.message); process.exit(1); });
