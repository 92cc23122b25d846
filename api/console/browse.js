// Browsing synced data: properties, units, residents and leases with their status chips and
// access windows; search by unit number or resident name; a sync of one unit or one resident.

import { gql } from './api.js';
import { h, replace, chip, when, table, say } from './dom.js';

const TERMINAL = ['SUCCESS', 'PARTIAL_SUCCESS', 'FAILED'];
const failed = (err) => say(`${err.message}${err.code ? ` (${err.code})` : ''}`, 'error');

const UNIT_FIELDS = `id number occupancy bedrooms integration { id pms } property { name }
  leases { id status startDate endDate residents { status resident { firstName lastName } } }`;
const RESIDENT_FIELDS = `id firstName lastName email integration { id pms }
  leases { status role lease { unit { number } property { name } } }
  accessWindows { startsAt endsAt open source }`;

/** Queues a scoped sync and follows its job to the end, reporting in `out`. */
async function syncOne(button, out, integrationId, scope, what) {
  button.disabled = true;
  try {
    const { syncNow } = await gql('mutation($id: ID!, $scope: SyncScopeInput) { syncNow(integrationId: $id, scope: $scope) { id status scope } }',
      { id: integrationId, scope });
    replace(out, chip(syncNow.status), ' ', h('progress', { 'aria-label': `Sync of ${what} running` }));
    let job = syncNow;
    for (let i = 0; i < 240 && !TERMINAL.includes(job.status); i += 1) {
      await new Promise((r) => setTimeout(r, 500));
      job = (await gql(`query($id: ID!) { node(id: $id) { ... on SyncJob { id status scope
        counts { created updated unchanged deleted } errors { code message } } } }`, { id: syncNow.id })).node;
      if (!TERMINAL.includes(job.status)) replace(out, chip(job.status), ' ', h('progress', { 'aria-label': `Sync of ${what} running` }));
    }
    if (TERMINAL.includes(job.status)) {
      const c = job.counts;
      replace(out, chip(job.status), ` ${job.scope} sync: ${c.created} created, ${c.updated} updated, ${c.unchanged} unchanged, ${c.deleted} deleted`,
        job.errors.length ? h('span', { class: 'error' }, ` ${job.errors.map((e) => e.message).join('; ')}`) : '');
      say(`The sync of ${what} finished: ${job.status}.`);
    }
  } catch (err) {
    failed(err);
  } finally {
    button.disabled = false;
  }
}

function leaseChips(leases) {
  return leases.length ? leases.map((l) => [chip(l.status), ' ']) : h('span', { class: 'muted' }, 'no lease');
}

function unitRows(units) {
  return units.map((u) => {
    const out = h('span', { id: `unit-sync-${u.id}`, 'aria-live': 'polite' });
    const button = h('button', { type: 'button', class: 'secondary', 'aria-label': `Sync unit ${u.number} of ${u.property.name}` }, 'Sync unit');
    button.addEventListener('click', () => syncOne(button, out, u.integration.id, { unitId: u.id }, `unit ${u.number}`));
    const people = u.leases.flatMap((l) => l.residents.map((r) => `${r.resident.firstName} ${r.resident.lastName}`));
    return [u.number, `${u.property.name} (${u.integration.pms})`, chip(u.occupancy), leaseChips(u.leases), people.join(', ') || '—', [button, ' ', out]];
  });
}

function residentRows(residents) {
  return residents.map((r) => {
    const out = h('span', { id: `resident-sync-${r.id}`, 'aria-live': 'polite' });
    const name = `${r.firstName} ${r.lastName}`;
    const button = h('button', { type: 'button', class: 'secondary', 'aria-label': `Sync resident ${name}` }, 'Sync resident');
    button.addEventListener('click', () => syncOne(button, out, r.integration.id, { residentId: r.id }, name));
    return [name, r.integration.pms, r.email || '—',
      r.leases.map((l) => [chip(l.status), ` ${l.role.toLowerCase()}, unit ${l.lease.unit ? l.lease.unit.number : '—'} `]),
      r.accessWindows.length ? r.accessWindows.map((w) => h('div', {}, chip(w.open ? 'open' : 'closed', w.open ? 'open' : 'closed'), ' ', when(w.startsAt), ' → ', w.endsAt ? when(w.endsAt) : 'open-ended')) : '—',
      [button, ' ', out]];
  });
}

const UNIT_HEADERS = ['Unit', 'Property', 'Occupancy', 'Leases', 'People', 'Sync'];
const RESIDENT_HEADERS = ['Resident', 'PMS', 'Email', 'Leases', 'Access windows', 'Sync'];

export async function browseView(el) {
  const search = h('input', { id: 'search', type: 'search', autocomplete: 'off', 'aria-describedby': 'search-help' });
  const results = h('div', { id: 'results', 'aria-live': 'polite' });
  const overview = h('div', {});
  const form = h('form', { class: 'card', role: 'search' },
    h('label', { for: 'search' }, 'Search by unit number or resident name'), search,
    h('p', { class: 'help', id: 'search-help' }, 'A unit number finds the unit and its residents; words of a name find residents.'),
    h('div', { class: 'row' }, h('button', { type: 'submit' }, 'Search')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const q = search.value.trim();
    if (!q) return replace(results);
    try {
      const data = await gql(`query($q: String!) {
        units(first: 50, filter: { number: $q }) { totalCount nodes { ${UNIT_FIELDS} } }
        byName: residents(first: 50, filter: { name: $q }) { totalCount nodes { ${RESIDENT_FIELDS} } }
        byUnit: residents(first: 50, filter: { unitNumber: $q }) { nodes { ${RESIDENT_FIELDS} } } }`, { q });
      const seen = new Set();
      const residents = [...data.byUnit.nodes, ...data.byName.nodes].filter((r) => !seen.has(r.id) && seen.add(r.id));
      replace(results,
        h('h2', {}, `Units numbered “${q}” (${data.units.totalCount})`),
        table(`Units numbered ${q}`, UNIT_HEADERS, unitRows(data.units.nodes), 'No unit has that number.'),
        h('h2', {}, `Residents (${residents.length})`),
        table('Residents found', RESIDENT_HEADERS, residentRows(residents), 'No resident matches.'));
    } catch (err) {
      failed(err);
    }
    return undefined;
  });
  replace(el, h('h1', {}, 'Browse'), form, results, overview);
  search.focus();
  try {
    const data = await gql(`{ properties(first: 50) { totalCount nodes { id name timeZone address { city state }
        integration { pms customer { name } } units(first: 1) { totalCount } } }
      leases(first: 25) { totalCount nodes { id status startDate endDate moveInDate moveOutDate unit { number } property { name }
        residents { role resident { firstName lastName } accessWindow { startsAt endsAt open } } } } }`);
    replace(overview,
      h('h2', {}, `Properties (${data.properties.totalCount})`),
      table('Properties', ['Property', 'Customer', 'PMS', 'City', 'Time zone', 'Units', ''], data.properties.nodes.map((p) => {
        const show = h('button', { type: 'button', class: 'secondary', 'aria-label': `Show units of ${p.name}` }, 'Units');
        show.addEventListener('click', async () => {
          try {
            const { units } = await gql(`query($p: ID!) { units(first: 100, filter: { propertyId: $p }) { nodes { ${UNIT_FIELDS} } } }`, { p: p.id });
            replace(results, h('h2', {}, `Units of ${p.name}`), table(`Units of ${p.name}`, UNIT_HEADERS, unitRows(units.nodes)));
            results.querySelector('button')?.focus();
          } catch (err) {
            failed(err);
          }
        });
        return [p.name, p.integration.customer.name, p.integration.pms, [p.address.city, p.address.state].filter(Boolean).join(', ') || '—',
          p.timeZone || '—', String(p.units.totalCount), show];
      }), 'Nothing synced yet: enable an integration and let its first sync run.'),
      h('h2', {}, `Leases (${data.leases.totalCount}, first 25)`),
      table('Leases', ['Unit', 'Property', 'Status', 'Term', 'People and access'], data.leases.nodes.map((l) => [
        l.unit ? l.unit.number : '—', l.property.name, chip(l.status), `${l.startDate || '?'} → ${l.endDate || '?'}`,
        h('ul', {}, l.residents.map((r) => h('li', {}, `${r.resident.firstName} ${r.resident.lastName} (${r.role.toLowerCase()}) `,
          r.accessWindow ? chip(r.accessWindow.open ? 'open' : 'closed', r.accessWindow.open ? 'access open' : 'access closed') : ''))),
      ]), 'No leases yet.'));
  } catch (err) {
    failed(err);
  }
  return undefined;
}
