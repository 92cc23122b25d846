// Browser tests of the pmsgraph console: a real `pmsgraph serve` (the built binary) on a temporary
// data directory (and on PostgreSQL when PMSGRAPH_BROWSER_DATABASE_URL names a database), driven
// in headless Chromium by playwright-core. Screenshots go to PMSGRAPH_ARTIFACTS (default
// tests/browser/artifacts, gitignored).
//
// Run through `scripts/browser-test [--database-url URL]`, which builds the binary first.
//
// Each PMS the served schema offers is onboarded the whole way: a denied resource first (the
// sandbox credential `sandbox+deny=residents`), Enable refused with the reason, credentials fixed,
// every resource GRANTED, Enable, the first sync SUCCESS, Sync now. A new PMS is one row of CASES.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import { chromium } from 'playwright-core';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = process.env.PMSGRAPH_BIN || join(process.env.CARGO_TARGET_DIR || join(ROOT, 'target'), 'debug', 'pmsgraph');
const CHROMIUM = process.env.PMSGRAPH_CHROMIUM || '/usr/bin/chromium';
const DATABASE_URL = process.env.PMSGRAPH_BROWSER_DATABASE_URL || '';
const BACKEND = DATABASE_URL ? 'postgres' : 'sqlite';
const ARTIFACTS = join(process.env.PMSGRAPH_ARTIFACTS || join(ROOT, 'tests/browser/artifacts'), BACKEND);
const README_SHOT = process.env.PMSGRAPH_README_SCREENSHOT || '';
const TIMEOUT = Number(process.env.PMSGRAPH_BROWSER_TIMEOUT_MS || 90_000);

/** One row per PMS: how the picker names it, and which credential field carries the sandbox fault. */
/** Residents are denied: every PMS reads them last, so the other three resources stay GRANTED. */
const CASES = [
  { pms: 'ENTRATA', name: 'Entrata', faultField: 'username' },
  { pms: 'YARDI', name: 'Yardi Voyager', faultField: 'username' },
  { pms: 'REAL_PAGE', name: 'RealPage', faultField: 'licenseKey' },
  { pms: 'BUILDIUM', name: 'Buildium', faultField: 'clientId', incremental: true },
];
const DENIED = 'residents';

let server;
let dataDir;
let base;
let token;
let context;
let page;
let serverLog = '';

function freePort() {
  return new Promise((ok, fail) => {
    const probe = createServer();
    probe.once('error', fail);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => ok(port));
    });
  });
}

async function until(what, check, timeout = TIMEOUT) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await check();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what} (last: ${last})`);
}

async function shot(name, target = page) {
  await target.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

async function gql(query, variables = {}) {
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  assert.ok(!body.errors, JSON.stringify(body.errors));
  return body.data;
}

function storeArgs() {
  return ['--data-dir', dataDir, ...(DATABASE_URL ? ['--database-url', DATABASE_URL] : [])];
}

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  dataDir = mkdtempSync(join(tmpdir(), 'pmsgraph-browser-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(BIN, ['serve', '--bind', `127.0.0.1:${port}`, ...storeArgs()], {
    env: { ...process.env, PMSGRAPH_LOG: process.env.PMSGRAPH_LOG || 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stderr.on('data', (chunk) => { serverLog += chunk; });
  server.stdout.on('data', (chunk) => { serverLog += chunk; });
  // The first start prints a sandbox token: the console is signed in with it, as the README says.
  token = await until('the first-run token', () => new Promise((ok) => {
    const match = serverLog.match(/^(eyJ[\w-]+\.[\w-]+\.[\w-]+)$/m);
    ok(match && match[1]);
  }), 60_000).catch(() => null);
  if (!token) throw new Error(`pmsgraph serve printed no token:\n${serverLog}`);
  await until('readiness', async () => (await fetch(`${base}/readyz`)).ok);
  context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'pmsgraph-chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 900 },
  });
  page = context.pages()[0] || await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on('pageerror', (err) => { serverLog += `\n[page error] ${err.message}`; });
});

after(async () => {
  if (context) await context.close();
  if (server) {
    server.kill('SIGTERM');
    await new Promise((r) => { server.once('exit', r); setTimeout(r, 10_000); });
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

// The server's output, when a test failed.
process.on('exit', () => {
  if (process.exitCode) console.error(serverLog.slice(-4000));
});

const card = (name) => page.locator('section.card', { has: page.getByRole('heading', { name: new RegExp(`^${name}`) }) });
const accessRow = (c, resource) => c.getByRole('table', { name: 'Data access' }).locator('tr', { has: page.locator('td:first-child', { hasText: new RegExp(`^${resource}$`) }) });

test('the console asks for a token, and signs in with the keyboard', async () => {
  await page.goto(`${base}/`);
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  assert.match(page.url(), /#\/signin$/);
  await shot('01-sign-in');
  await page.getByLabel('Token', { exact: true }).fill(token);
  await page.getByLabel('Token', { exact: true }).press('Enter');
  await page.getByRole('heading', { name: /^Customers/ }).waitFor();
  // The first run's demo customer, with its environment badge.
  await page.getByRole('link', { name: 'Demo Properties' }).waitFor();
  assert.equal(await page.locator('td .badge.SANDBOX').first().textContent(), 'SANDBOX');
  assert.equal(await page.evaluate(() => localStorage.length), 0, 'the token is not kept beyond the session');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('pmsgraph.token')), token);
  await shot('02-customers');
});

test('a webhook endpoint is registered, its secret shown once', async () => {
  await page.goto(`${base}/#/webhooks`);
  await page.getByLabel('Endpoint URL', { exact: true }).fill('https://hooks.example.invalid/pmsgraph');
  await page.getByLabel('Description (optional)', { exact: true }).fill('browser test');
  await page.getByRole('button', { name: 'Add endpoint' }).click();
  const secret = await page.locator('#hook-secret').textContent();
  assert.ok(secret && secret.length > 16, secret);
  await page.getByRole('heading', { name: /hooks\.example\.invalid/ }).waitFor();
});

test('onboarding of a sandbox customer on each PMS the schema offers, through a denied resource', async (t) => {
  await page.goto(`${base}/#/customers/new`);
  await page.getByRole('heading', { name: 'New customer' }).waitFor();
  await page.getByLabel('Property management system', { exact: true }).waitFor();
  const offered = await page.getByLabel('Property management system', { exact: true }).locator('option').allTextContents();
  const cases = CASES.filter((c) => offered.includes(c.name));
  assert.deepEqual(cases.map((c) => c.name), CASES.map((c) => c.name), `the picker offers ${offered}`);
  for (const c of cases) {
    await t.test(c.name, async () => {
      const customer = `${c.name} Sandbox Co`;
      await page.goto(`${base}/#/customers/new`);
      await page.getByLabel('Customer name', { exact: true }).fill(customer);
      await page.getByLabel('Property management system', { exact: true }).selectOption({ label: c.name });
      await page.getByRole('button', { name: 'Use the built-in sandbox' }).click();
      await page.locator(`#new-${c.faultField}`).fill(`sandbox+deny=${DENIED}`);
      await page.getByRole('button', { name: 'Create and check access' }).click();
      await page.getByRole('heading', { name: new RegExp(`^${customer}`) }).waitFor();
      const integration = card(c.name);
      // The matrix fills in live: residents DENIED, the rest GRANTED.
      await accessRow(integration, DENIED).filter({ hasText: 'DENIED' }).waitFor();
      for (const resource of ['properties', 'units', 'leases']) {
        await accessRow(integration, resource).filter({ hasText: 'GRANTED' }).waitFor();
      }
      const enable = integration.getByRole('button', { name: 'Enable' });
      assert.equal(await enable.isDisabled(), true, 'Enable is refused while residents are denied');
      const reason = await integration.locator('[id^="enable-reason-"]').textContent();
      assert.match(reason, new RegExp(`${DENIED} DENIED`));
      await shot(`${c.pms}-1-denied`);

      // The customer fixes the credentials: every resource is checked again.
      await integration.getByRole('button', { name: 'Update credentials' }).click();
      const update = page.getByRole('form', { name: `New ${c.name} credentials` });
      await update.getByRole('button', { name: 'Use the built-in sandbox' }).click();
      await update.getByRole('button', { name: 'Save and check again' }).click();
      for (const resource of ['properties', 'units', 'leases', 'residents']) {
        await accessRow(integration, resource).filter({ hasText: 'GRANTED' }).waitFor();
      }
      await until('Enable to be allowed', async () => !(await enable.isDisabled()));
      await shot(`${c.pms}-2-granted`);
      // By keyboard: focus the button and press Enter.
      await enable.focus();
      await page.keyboard.press('Enter');
      await integration.getByRole('heading', { name: new RegExp(`^${c.name} ENABLED`) }).waitFor();
      const jobs = integration.getByRole('table', { name: 'Sync jobs' });
      await jobs.locator('tr', { hasText: 'ENABLE' }).filter({ hasText: 'SUCCESS' }).waitFor();
      const counts = await jobs.locator('tr', { hasText: 'ENABLE' }).locator('td').nth(4).textContent();
      assert.match(counts, /^[1-9]\d* created/, counts);
      assert.notEqual(await integration.locator('p', { hasText: 'Last ran:' }).locator('time').count(), 0, 'last ran is shown');

      await integration.getByRole('button', { name: 'Sync now' }).click();
      await jobs.locator('tr', { hasText: 'ON_DEMAND' }).filter({ hasText: 'SUCCESS' }).waitFor();
      const onDemand = jobs.locator('tr', { hasText: 'ON_DEMAND' }).first();
      const again = await onDemand.locator('td').nth(4).textContent();
      if (c.incremental) {
        // A PMS that lists changes since a time is asked only for those: none since the first sync.
        assert.match(await onDemand.locator('td').nth(1).textContent(), /incremental, changes since/);
        assert.match(again, /^0 created, 0 updated, \d+ unchanged, 0 deleted/, again);
      } else {
        assert.match(again, /0 created, 0 updated, [1-9]\d* unchanged/, again);
      }
      await shot(`${c.pms}-3-synced`);
      if (README_SHOT && c.pms === 'YARDI') {
        await page.setViewportSize({ width: 1280, height: 1000 });
        await page.screenshot({ path: README_SHOT, fullPage: false });
        await page.setViewportSize({ width: 1280, height: 900 });
      }
    });
  }
});

test('browse and search, then a sync of one unit and of one resident', async () => {
  await page.goto(`${base}/#/browse`);
  await page.getByRole('table', { name: 'Properties' }).waitFor();
  await page.getByRole('table', { name: 'Leases' }).locator('.chip').first().waitFor();
  const firstProperty = page.getByRole('table', { name: 'Properties' }).locator('tbody tr').first();
  await firstProperty.getByRole('button', { name: /^Show units of/ }).click();
  const unitsOf = page.getByRole('table', { name: /^Units of/ });
  const number = (await unitsOf.locator('tbody tr').first().locator('td').first().textContent()).trim();

  await page.getByLabel('Search by unit number or resident name', { exact: true }).fill(number);
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  const units = page.getByRole('table', { name: `Units numbered ${number}` });
  await units.waitFor();
  const row = units.locator('tbody tr').first();
  await row.getByRole('button', { name: /^Sync unit/ }).press('Enter');
  await row.locator('[id^="unit-sync-"]', { hasText: 'UNIT sync' }).waitFor();
  assert.match(await row.locator('[id^="unit-sync-"]').textContent(), /SUCCESS/);
  await shot('browse-1-unit-sync');

  const residents = page.getByRole('table', { name: 'Residents found' });
  const person = (await residents.locator('tbody tr').first().locator('td').first().textContent()).trim();
  const lastName = person.split(' ').pop();
  await page.getByLabel('Search by unit number or resident name', { exact: true }).fill(lastName);
  await page.getByLabel('Search by unit number or resident name', { exact: true }).press('Enter');
  // The results of this search (not the last one's) are in.
  await page.getByRole('heading', { name: `Units numbered “${lastName}” (0)` }).waitFor();
  await residents.locator('tbody tr', { hasText: person }).first().waitFor();
  const resident = residents.locator('tbody tr', { hasText: person }).first();
  await resident.getByRole('button', { name: `Sync resident ${person}` }).click();
  await resident.locator('[id^="resident-sync-"]', { hasText: 'RESIDENT sync' }).waitFor();
  assert.match(await resident.locator('[id^="resident-sync-"]').textContent(), /SUCCESS/);
  await shot('browse-2-resident-sync');

  // The unit-scoped run is in its integration's jobs table.
  const { units: found } = await gql('query($n: String!) { units(first: 1, filter: { number: $n }) { nodes { integration { customer { id } } } } }', { n: number });
  await page.goto(`${base}/#/customers/${encodeURIComponent(found.nodes[0].integration.customer.id)}`);
  await page.getByRole('table', { name: 'Sync jobs' }).locator('tr', { hasText: 'UNIT' }).filter({ hasText: 'SUCCESS' }).first().waitFor();
});

test('the event feed is live: a sandbox timeline step shows up without a reload', async () => {
  await page.goto(`${base}/#/events`);
  await page.getByRole('table', { name: 'Event feed, newest first' }).locator('tr', { hasText: 'INITIAL_SYNC_COMPLETED' }).first().waitFor();
  await page.locator('#feed-state', { hasText: 'Live' }).waitFor();
  const before = await page.getByRole('table', { name: 'Event feed, newest first' }).locator('tbody tr').count();
  execFileSync(BIN, ['sandbox', 'advance', '--steps', '2', ...storeArgs()], { stdio: 'ignore' });
  const { customers } = await gql('{ customers(first: 20) { nodes { integrations { id status } } } }');
  for (const i of customers.nodes.flatMap((c) => c.integrations).filter((i) => i.status === 'ENABLED')) {
    await gql('mutation($id: ID!) { syncNow(integrationId: $id) { id } }', { id: i.id });
  }
  await until('new events in the feed', async () =>
    (await page.getByRole('table', { name: 'Event feed, newest first' }).locator('tbody tr').count()) > before);
  await shot('events');
});

test('webhook deliveries are logged and can be replayed', async () => {
  await page.goto(`${base}/#/webhooks`);
  const deliveries = page.getByRole('table', { name: /^Deliveries to / });
  await deliveries.locator('tbody tr').first().waitFor();
  const replay = deliveries.getByRole('button', { name: /^Replay delivery/ }).first();
  await replay.click();
  await page.locator('#notice', { hasText: 'Delivery queued again.' }).waitFor();
  await shot('webhooks');
});

test('an onboarding link shows its one customer only', async () => {
  await page.goto(`${base}/#/customers`);
  await page.getByRole('link', { name: 'Yardi Voyager Sandbox Co' }).click();
  await page.getByRole('button', { name: 'Create onboarding link' }).click();
  const link = (await page.locator('#onboarding-link').textContent()).trim();
  assert.match(link, /#\/onboard\//);
  // A new tab is a new session: the property manager's.
  const manager = await context.newPage();
  await manager.goto(link);
  await manager.getByRole('heading', { name: /^Yardi Voyager Sandbox Co/ }).waitFor();
  assert.doesNotMatch(manager.url(), /onboard/, 'the token leaves the address bar');
  assert.deepEqual(await manager.getByRole('navigation', { name: 'Console' }).getByRole('link').allTextContents(), ['Onboarding']);
  assert.equal(await manager.getByRole('button', { name: 'Sync now' }).count(), 0, 'a link cannot sync');
  await manager.getByRole('table', { name: 'Sync jobs' }).first().waitFor();
  await manager.goto(`${base}/#/customers`);
  await manager.getByRole('heading', { name: /^Yardi Voyager Sandbox Co/ }).waitFor();
  await shot('onboarding-link', manager);
  await manager.close();
});

test('GraphiQL still answers at /graphql, and the console hands it the token', async () => {
  await page.goto(`${base}/#/graphiql`);
  const headers = await page.locator('#graphiql-headers').textContent();
  assert.deepEqual(JSON.parse(headers), { Authorization: `Bearer ${token}` });
  const graphiql = await fetch(`${base}/graphql`);
  assert.equal(graphiql.status, 200);
  assert.match(await graphiql.text(), /graphiql/i);
});
