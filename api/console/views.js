// The console's views: sign-in, customers, one customer's onboarding (credentials, the live
// data-access matrix, enable, sync now, jobs), the event feed, webhooks and GraphiQL.

import { session, gql, subscribe, schemaInfo, GqlError } from './api.js';
import { h, replace, chip, when, duration, table, say } from './dom.js';
import { available, byPms, credentials } from './pms.js';

const RESOURCES = ['PROPERTIES', 'UNITS', 'LEASES', 'RESIDENTS'];
const failed = (err) => say(err instanceof GqlError ? `${err.message} (${err.code})` : String(err), 'error');

/** Runs `work` with `button` disabled, reporting a failure in the live region. */
async function busy(button, work) {
  button.disabled = true;
  try {
    return await work();
  } catch (err) {
    failed(err);
    return undefined;
  } finally {
    button.disabled = false;
  }
}

/** Calls `tick` now and every `ms` until the returned function is called. */
function every(ms, tick) {
  let stopped = false;
  let timer;
  const loop = async () => {
    if (stopped) return;
    try {
      await tick();
    } catch (err) {
      failed(err);
    }
    if (!stopped) timer = setTimeout(loop, typeof ms === 'function' ? ms() : ms);
  };
  loop();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

// --- sign in --------------------------------------------------------------------------------------

export function signInView(el) {
  const token = h('input', { id: 'token', type: 'password', autocomplete: 'off', required: true, 'aria-describedby': 'token-help' });
  const link = h('input', { id: 'link', type: 'url', autocomplete: 'off', 'aria-describedby': 'link-help' });
  const signIn = async (value, mode) => {
    session.signIn(value, mode);
    try {
      await gql('{ viewer { name } }');
      location.hash = '#/customers';
    } catch (err) {
      session.signOut();
      failed(err);
    }
  };
  replace(el,
    h('h1', {}, 'Sign in'),
    h('form', { class: 'card', 'aria-labelledby': 'signin-token', onsubmit: (e) => { e.preventDefault(); signIn(token.value, 'app'); } },
      h('h2', { id: 'signin-token' }, 'With an app token'),
      h('label', { for: 'token' }, 'Token'), token,
      h('p', { class: 'help', id: 'token-help' },
        'A token from `pmsgraph token create --app NAME --env sandbox`, or the sandbox token `pmsgraph serve` prints on its first start. It stays in this browser tab only.'),
      h('div', { class: 'row' }, h('button', { type: 'submit' }, 'Sign in'))),
    h('form', { class: 'card', 'aria-labelledby': 'signin-link', onsubmit: (e) => {
      e.preventDefault();
      const match = link.value.match(/#\/onboard\/([^/?#]+)/);
      if (!match) return say('That is not an onboarding link (it ends in #/onboard/…).', 'error');
      return signIn(decodeURIComponent(match[1]), 'link');
    } },
      h('h2', { id: 'signin-link' }, 'With an onboarding link'),
      h('label', { for: 'link' }, 'Onboarding link'), link,
      h('p', { class: 'help', id: 'link-help' }, 'The link your software vendor sent you to connect your property management system. Opening it signs you in too.'),
      h('div', { class: 'row' }, h('button', { type: 'submit' }, 'Open link'))));
  token.focus();
}

// --- customers ------------------------------------------------------------------------------------

const CUSTOMERS = `{ viewer { environment } customers(first: 100) { totalCount nodes { id name environment createdAt
  integrations { id pms status lastFullSyncAt } } } }`;

export async function customersView(el) {
  let data;
  try {
    data = await gql(CUSTOMERS);
  } catch (err) {
    return failed(err);
  }
  const customers = data.customers.nodes;
  if (session.mode() === 'link' && customers.length === 1) {
    location.replace(`#/customers/${encodeURIComponent(customers[0].id)}`);
    return undefined;
  }
  const rows = customers.map((c) => [
    h('a', { href: `#/customers/${encodeURIComponent(c.id)}` }, c.name),
    h('span', { class: `badge ${c.environment}` }, c.environment),
    c.integrations.length ? c.integrations.map((i) => [chip(i.status, `${byPms(i.pms)?.name || i.pms}: ${i.status}`), ' ']) : h('span', { class: 'muted' }, 'no PMS yet'),
    c.integrations.length ? when(c.integrations.map((i) => i.lastFullSyncAt).filter(Boolean).sort().pop()) : '—',
  ]);
  replace(el,
    h('h1', {}, 'Customers ', h('span', { class: `badge ${data.viewer.environment}` }, data.viewer.environment)),
    session.mode() === 'app' ? h('div', { class: 'row' }, h('a', { href: '#/customers/new', class: 'btn' }, 'New customer')) : null,
    table('Customers', ['Name', 'Environment', 'Integrations', 'Last ran'], rows, 'No customers yet: add one with "New customer".'));
  return undefined;
}

let sandboxes;
async function builtInSandboxes() {
  if (!sandboxes) {
    try {
      sandboxes = (await gql('{ builtInSandboxes { pms url credentials } }')).builtInSandboxes;
    } catch {
      sandboxes = [];
    }
  }
  return sandboxes;
}

/**
 * The PMS picker and the chosen PMS's credential fields. `fixed` (a PMS) leaves out the picker.
 * Returns the fieldset and a function that reads the `CredentialsInput`.
 */
async function credentialsFieldset(prefix, fixed) {
  const { credentialInputs } = await schemaInfo();
  const choices = fixed ? [fixed] : available(credentialInputs);
  const offered = await builtInSandboxes();
  const fields = h('div', {});
  const picker = h('select', { id: `${prefix}-pms`, name: 'pms' },
    choices.map((p) => h('option', { value: p.pms }, p.name)));
  let current = choices[0];
  const inputs = {};
  const sandboxButton = h('button', { type: 'button', class: 'secondary', id: `${prefix}-sandbox` }, 'Use the built-in sandbox');
  sandboxButton.addEventListener('click', () => {
    const offer = offered.find((s) => s.pms === current.pms);
    if (!offer) return;
    for (const field of current.fields) {
      const value = offer.credentials[field.name];
      inputs[field.name].value = Array.isArray(value) ? value.join(', ') : value ?? '';
    }
    say(`Filled in the built-in ${current.name} sandbox (${offer.url}). A username of sandbox+deny=residents makes it deny residents, to show the data-access gate.`);
  });
  const draw = () => {
    current = choices.find((p) => p.pms === picker.value) || choices[0];
    for (const key of Object.keys(inputs)) delete inputs[key];
    replace(fields,
      h('p', { class: 'help' }, current.about),
      current.fields.map((field) => {
        const id = `${prefix}-${field.name}`;
        inputs[field.name] = h('input', {
          id, name: field.name, type: field.secret ? 'password' : 'text', autocomplete: 'off',
          placeholder: field.example || '', required: Boolean(field.required), 'aria-describedby': `${id}-help`,
        });
        return [h('label', { for: id }, field.label, field.required ? '' : ' (optional)'), inputs[field.name],
          h('p', { class: 'help', id: `${id}-help` }, field.help)];
      }));
    sandboxButton.hidden = !offered.some((s) => s.pms === current.pms);
  };
  picker.addEventListener('change', draw);
  draw();
  const fieldset = h('fieldset', {},
    h('legend', {}, fixed ? `${fixed.name} credentials` : 'PMS and credentials'),
    fixed ? null : [h('label', { for: `${prefix}-pms` }, 'Property management system'), picker],
    h('div', { class: 'row' }, sandboxButton),
    fields);
  const read = () => {
    const values = {};
    for (const [name, input] of Object.entries(inputs)) values[name] = input.value;
    return credentials(current, values);
  };
  return { fieldset, read };
}

const CONNECT = `mutation($customerId: ID!, $credentials: CredentialsInput!) {
  connectIntegration(customerId: $customerId, credentials: $credentials) { id } }`;
const CHECK = 'mutation($id: ID!) { checkDataAccess(integrationId: $id) { id } }';

export async function newCustomerView(el) {
  const name = h('input', { id: 'customer-name', required: true, autocomplete: 'off', 'aria-describedby': 'customer-name-help' });
  const { fieldset, read } = await credentialsFieldset('new');
  const submit = h('button', { type: 'submit' }, 'Create and check access');
  const form = h('form', { class: 'card', 'aria-labelledby': 'new-customer' },
    h('label', { for: 'customer-name' }, 'Customer name'), name,
    h('p', { class: 'help', id: 'customer-name-help' }, 'The property management company, as you call it.'),
    fieldset,
    h('div', { class: 'row' }, submit));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(submit, async () => {
      const { createCustomer } = await gql('mutation($name: String!) { createCustomer(name: $name) { id } }', { name: name.value });
      try {
        const { connectIntegration } = await gql(CONNECT, { customerId: createCustomer.id, credentials: read() });
        await gql(CHECK, { id: connectIntegration.id });
      } finally {
        location.hash = `#/customers/${encodeURIComponent(createCustomer.id)}`;
      }
    });
  });
  replace(el, h('h1', { id: 'new-customer' }, 'New customer'), form);
  name.focus();
}

const CUSTOMER = `query($id: ID!) { node(id: $id) { ... on Customer { id name environment createdAt
  integrations { id pms status statusReason lastFullSyncAt nextSyncAt syncIntervalSeconds
    dataAccess { resource status message checkedAt }
    syncJobs(last: 10) { nodes { id trigger scope incremental changedSince status queuedAt startedAt finishedAt
      counts { created updated unchanged deleted } errors { code message at } } } } } } }`;

/** Why enabling is refused, or null when every resource is GRANTED. */
function enableBlocked(integration) {
  const access = integration.dataAccess;
  if (!access.length) return 'Run the data-access check first.';
  if (access.some((a) => a.status === 'PENDING')) return 'The data-access check is still running.';
  const missing = RESOURCES.map((r) => access.find((a) => a.resource === r) || { resource: r, status: 'PENDING' })
    .filter((a) => a.status !== 'GRANTED');
  if (!missing.length) return null;
  return `Enable needs every resource GRANTED: ${missing.map((a) => `${a.resource.toLowerCase()} ${a.status}${a.message ? ` (${a.message})` : ''}`).join('; ')}.`;
}

function jobsTable(jobs) {
  const rows = [...jobs].reverse().map((job) => [
    job.trigger,
    job.incremental ? [job.scope, ' ', h('span', { class: 'muted' }, 'incremental, changes since '), when(job.changedSince)] : job.scope,
    [chip(job.status), job.status === 'RUNNING' || job.status === 'QUEUED'
      ? [' ', h('progress', { 'aria-label': `Sync ${job.status.toLowerCase()}` })] : null],
    when(job.queuedAt),
    `${job.counts.created} created, ${job.counts.updated} updated, ${job.counts.unchanged} unchanged, ${job.counts.deleted} deleted`,
    duration(job),
    job.errors.length ? h('ul', {}, job.errors.map((e) => h('li', { class: 'error' }, `${e.code}: ${e.message}${e.at ? ` (${e.at})` : ''}`))) : '—',
  ]);
  return table('Sync jobs', ['Trigger', 'Scope', 'Status', 'Queued', 'Counts', 'Duration', 'Errors'], rows, 'No sync has run yet.');
}

export async function customerView(el, id) {
  const forms = new Map();
  const integrations = h('div', { id: 'integrations' });
  let customer;
  try {
    customer = (await gql(CUSTOMER, { id })).node;
  } catch (err) {
    return failed(err);
  }
  const link = session.mode() === 'link';
  const linkBox = h('div', { 'aria-live': 'polite' });
  const makeLink = h('button', { type: 'button', class: 'secondary', id: 'make-link' }, 'Create onboarding link');
  makeLink.addEventListener('click', () => busy(makeLink, async () => {
    const { createOnboardingLink } = await gql('mutation($id: ID!) { createOnboardingLink(customerId: $id) { token expiresAt } }', { id });
    const url = `${location.origin}/#/onboard/${encodeURIComponent(createOnboardingLink.token)}`;
    replace(linkBox, h('p', {}, 'Send this link to the property manager (it works until ', when(createOnboardingLink.expiresAt), ', and is shown once):'),
      h('p', { class: 'secret', id: 'onboarding-link' }, url));
  }));
  const connect = await credentialsFieldset('connect');
  const connectButton = h('button', { type: 'submit' }, 'Connect and check access');
  const connectForm = h('form', { class: 'card', 'aria-labelledby': 'connect-heading' },
    h('h2', { id: 'connect-heading' }, customer.integrations.length ? 'Connect another PMS' : 'Connect a PMS'),
    connect.fieldset, h('div', { class: 'row' }, connectButton));
  // Folded away once the customer has a PMS.
  const connectBox = customer.integrations.length
    ? h('details', {}, h('summary', {}, 'Connect another PMS'), connectForm) : connectForm;
  connectForm.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(connectButton, async () => {
      const { connectIntegration } = await gql(CONNECT, { customerId: id, credentials: connect.read() });
      await gql(CHECK, { id: connectIntegration.id });
      say('Connected: the data-access check is running.');
      await refresh(true);
    });
  });

  const act = (button, work, done) => button.addEventListener('click', () => busy(button, async () => {
    await work();
    if (done) say(done);
    await refresh(true);
  }));

  const card = (i) => {
    const pms = byPms(i.pms) || { name: i.pms, pms: i.pms, fields: [] };
    const blocked = enableBlocked(i);
    const key = i.id;
    const check = h('button', { type: 'button', class: 'secondary', id: `check-${key}` }, 'Run data-access check');
    act(check, () => gql(CHECK, { id: i.id }), 'The data-access check is running.');
    const enable = h('button', { type: 'button', id: `enable-${key}`, disabled: Boolean(blocked), 'aria-describedby': `enable-reason-${key}` }, 'Enable');
    act(enable, () => gql('mutation($id: ID!) { enableIntegration(integrationId: $id) { id } }', { id: i.id }), 'Enabled: the first full sync is queued.');
    const disable = h('button', { type: 'button', class: 'secondary', id: `disable-${key}` }, 'Disable');
    act(disable, () => gql('mutation($id: ID!) { disableIntegration(integrationId: $id) { id } }', { id: i.id }), 'Disabled.');
    const sync = h('button', { type: 'button', id: `sync-${key}`, disabled: i.status !== 'ENABLED' }, 'Sync now');
    act(sync, () => gql('mutation($id: ID!) { syncNow(integrationId: $id) { id } }', { id: i.id }), 'Sync queued.');
    const edit = h('button', { type: 'button', class: 'secondary', id: `edit-${key}`, 'aria-expanded': String(forms.has(key)) }, 'Update credentials');
    edit.addEventListener('click', async () => {
      if (forms.has(key)) forms.delete(key);
      else forms.set(key, await updateForm(i, pms));
      await refresh(true);
    });
    const jobs = i.syncJobs.nodes;
    const running = jobs.some((j) => j.status === 'RUNNING' || j.status === 'QUEUED');
    const matrix = RESOURCES.map((r) => i.dataAccess.find((a) => a.resource === r) || { resource: r, status: 'NOT CHECKED' });
    return h('section', { class: 'card', 'aria-labelledby': `title-${key}` },
      h('h2', { id: `title-${key}` }, `${pms.name} `, chip(i.status), running ? [' ', h('progress', { 'aria-label': 'Sync in progress' })] : null),
      i.statusReason ? h('p', { class: 'reason' }, i.statusReason) : null,
      h('p', {}, 'Last ran: ', when(i.lastFullSyncAt), ' · Next sync: ', when(i.nextSyncAt), ` · Every ${Math.round(i.syncIntervalSeconds / 60)} min`),
      h('h3', {}, 'Data access'),
      table('Data access', ['Resource', 'Status', 'PMS says', 'Checked'],
        matrix.map((a) => [a.resource.toLowerCase(), chip(a.status.replace(' ', '_'), a.status), a.message || '—', when(a.checkedAt)])),
      h('div', { class: 'row' }, check, i.status === 'ENABLED' ? [disable, link ? null : sync] : enable, edit),
      h('p', { class: 'reason', id: `enable-reason-${key}` }, i.status === 'ENABLED' ? '' : blocked || 'Every resource is GRANTED: enable to start the first full sync.'),
      forms.get(key) || null,
      h('h3', {}, 'Sync jobs'),
      jobsTable(jobs));
  };

  const updateForm = async (i, pms) => {
    const { fieldset, read } = await credentialsFieldset(`update-${i.id}`, pms);
    const save = h('button', { type: 'submit' }, 'Save and check again');
    const form = h('form', { class: 'card', 'aria-label': `New ${pms.name} credentials` }, fieldset, h('div', { class: 'row' }, save));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      busy(save, async () => {
        await gql('mutation($id: ID!, $c: CredentialsInput!) { updateIntegration(integrationId: $id, credentials: $c) { id } }', { id: i.id, c: read() });
        forms.delete(i.id);
        say('Credentials saved: the data-access check is running again.');
        await refresh(true);
      });
    });
    return form;
  };

  let last = '';
  let active = true;
  async function refresh(force) {
    customer = (await gql(CUSTOMER, { id })).node;
    const snapshot = JSON.stringify(customer) + [...forms.keys()].join();
    const moving = customer.integrations.some((i) => i.dataAccess.some((a) => a.status === 'PENDING')
      || i.syncJobs.nodes.some((j) => j.status === 'RUNNING' || j.status === 'QUEUED'));
    active = moving;
    if (!force && snapshot === last && !moving) return;
    last = snapshot;
    replace(integrations, customer.integrations.map(card));
  }

  replace(el,
    h('h1', {}, customer.name, ' ', h('span', { class: `badge ${customer.environment}` }, customer.environment)),
    link ? h('p', { class: 'muted' }, 'Connect your PMS below, watch the data-access check, then enable.')
      : h('div', { class: 'row' }, h('a', { href: '#/customers' }, '← All customers'), makeLink),
    linkBox,
    integrations,
    connectBox);
  // Fast while a check or a sync runs, slow otherwise.
  return every(() => (active ? 700 : 4000), () => refresh(false));
}

// --- events ---------------------------------------------------------------------------------------

const EVENT_FIELDS = `id position type occurredAt customer { name } integration { pms } property { name }
  unit { number } resident { firstName lastName } data`;

const cursorOf = (position) => btoa(`event:${position}`).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

export async function eventsView(el) {
  const list = h('tbody', {});
  const state = h('p', { class: 'muted', id: 'feed-state', 'aria-live': 'polite' }, 'Loading…');
  const events = [];
  let after = null;
  const draw = () => replace(list, events.slice(-200).reverse().map((e) => h('tr', {},
    h('td', {}, String(e.position)), h('td', {}, chip(e.type)), h('td', {}, when(e.occurredAt)),
    h('td', {}, e.customer ? e.customer.name : '—'),
    h('td', {}, [e.property && e.property.name, e.unit && `unit ${e.unit.number}`, e.resident && `${e.resident.firstName} ${e.resident.lastName}`].filter(Boolean).join(' · ') || '—'))));
  const add = (event) => {
    events.push(event);
    after = cursorOf(event.position);
  };
  try {
    for (let page = 0; page < 50; page += 1) {
      const { events: conn } = await gql(`query($after: String) { events(first: 100, after: $after) {
        pageInfo { hasNextPage endCursor } nodes { ${EVENT_FIELDS} } } }`, { after });
      conn.nodes.forEach(add);
      if (conn.pageInfo.endCursor) after = conn.pageInfo.endCursor;
      if (!conn.pageInfo.hasNextPage) break;
    }
  } catch (err) {
    failed(err);
  }
  replace(el, h('h1', {}, 'Events'), state,
    h('table', { 'aria-label': 'Event feed, newest first' },
      h('thead', {}, h('tr', {}, ['#', 'Type', 'Occurred', 'Customer', 'About'].map((t) => h('th', { scope: 'col' }, t)))), list));
  draw();
  let stop = () => {};
  let closed = false;
  const poll = () => {
    state.textContent = 'Polling for new events every 3 s.';
    stop = every(3000, async () => {
      const { events: conn } = await gql(`query($after: String) { events(first: 100, after: $after) { nodes { ${EVENT_FIELDS} } } }`, { after });
      if (conn.nodes.length) {
        conn.nodes.forEach(add);
        draw();
      }
    });
  };
  const live = () => {
    state.textContent = 'Live: new events appear as they commit.';
    stop = subscribe(`subscription($after: String) { events(after: $after) { ${EVENT_FIELDS} } }`, { after }, {
      next: (data) => {
        add(data.events);
        draw();
      },
      error: () => {
        stop();
        if (!closed) poll();
      },
      complete: () => {
        if (!closed) setTimeout(live, 500);
      },
    });
  };
  if ((await schemaInfo()).subscriptions && 'WebSocket' in window) live();
  else poll();
  return () => {
    closed = true;
    stop();
  };
}

// --- webhooks -------------------------------------------------------------------------------------

const ENDPOINTS = `{ webhookEndpoints(first: 50) { nodes { id url description enabled eventTypes customer { name }
  deliveryCounts { status count }
  deliveries(last: 10) { nodes { id status attempts lastStatusCode lastError createdAt deliveredAt nextAttemptAt
    event { type position } attemptLog { number attemptedAt statusCode error durationMs } } } } } }`;

export async function webhooksView(el) {
  const url = h('input', { id: 'hook-url', type: 'url', required: true, autocomplete: 'off', 'aria-describedby': 'hook-url-help' });
  const description = h('input', { id: 'hook-description', autocomplete: 'off' });
  const secretBox = h('div', { 'aria-live': 'polite' });
  const add = h('button', { type: 'submit' }, 'Add endpoint');
  const endpoints = h('div', { id: 'endpoints' });
  const form = h('form', { class: 'card', 'aria-labelledby': 'hook-new' },
    h('h2', { id: 'hook-new' }, 'New endpoint'),
    h('label', { for: 'hook-url' }, 'Endpoint URL'), url,
    h('p', { class: 'help', id: 'hook-url-help' }, 'Where pmsgraph POSTs signed events (verify the Pmsgraph-Signature header with the secret shown once).'),
    h('label', { for: 'hook-description' }, 'Description (optional)'), description,
    h('div', { class: 'row' }, add), secretBox);
  let refresh;
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(add, async () => {
      const input = { url: url.value.trim(), ...(description.value.trim() ? { description: description.value.trim() } : {}) };
      const { createWebhookEndpoint } = await gql('mutation($input: WebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret endpoint { id } } }', { input });
      replace(secretBox, h('p', {}, 'The signing secret, shown this once:'), h('p', { class: 'secret', id: 'hook-secret' }, createWebhookEndpoint.secret));
      url.value = '';
      description.value = '';
      await refresh();
    });
  });
  const render = (list) => list.map((ep) => {
    const rows = [...ep.deliveries.nodes].reverse().map((d) => {
      const replay = h('button', { type: 'button', class: 'secondary', id: `replay-${d.id}`, 'aria-label': `Replay delivery of event ${d.event ? d.event.position : ''}` }, 'Replay');
      replay.addEventListener('click', () => busy(replay, async () => {
        await gql('mutation($id: ID!) { replayWebhookDelivery(id: $id) { id status } }', { id: d.id });
        say('Delivery queued again.');
        await refresh();
      }));
      return [d.event ? `${d.event.type} #${d.event.position}` : '—', chip(d.status), String(d.attempts),
        d.lastStatusCode ? String(d.lastStatusCode) : '—', d.lastError || '—', when(d.createdAt),
        d.attemptLog.length ? h('details', {}, h('summary', {}, `${d.attemptLog.length} attempts`),
          h('ol', {}, d.attemptLog.map((a) => h('li', {}, `${new Date(a.attemptedAt).toLocaleTimeString()}: ${a.statusCode || a.error || '?'} (${a.durationMs} ms)`)))) : '—',
        replay];
    });
    return h('section', { class: 'card', 'aria-label': `Endpoint ${ep.url}` },
      h('h2', {}, ep.url, ' ', chip(ep.enabled ? 'ENABLED' : 'DISABLED')),
      h('p', { class: 'muted' }, ep.description || '', ' Events: ', ep.eventTypes.length ? ep.eventTypes.join(', ') : 'all',
        ' · Customer: ', ep.customer ? ep.customer.name : 'all',
        ' · ', ep.deliveryCounts.map((c) => `${c.count} ${c.status.toLowerCase()}`).join(', ') || 'no deliveries'),
      h('h3', {}, 'Deliveries (newest first)'),
      table(`Deliveries to ${ep.url}`, ['Event', 'Status', 'Attempts', 'Last status', 'Last error', 'Created', 'Log', ''], rows, 'No deliveries yet.'));
  });
  let last = '';
  refresh = async () => {
    const { webhookEndpoints } = await gql(ENDPOINTS);
    const snapshot = JSON.stringify(webhookEndpoints);
    if (snapshot === last) return;
    last = snapshot;
    replace(endpoints, webhookEndpoints.nodes.length ? render(webhookEndpoints.nodes) : h('p', { class: 'muted' }, 'No endpoints yet.'));
  };
  replace(el, h('h1', {}, 'Webhooks'), form, h('h2', {}, 'Endpoints'), endpoints);
  return every(3000, refresh);
}

// --- GraphiQL -------------------------------------------------------------------------------------

export function graphiqlView(el) {
  const headers = JSON.stringify({ Authorization: `Bearer ${session.token()}` });
  const copy = h('button', { type: 'button', id: 'copy-headers' }, 'Copy headers');
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(headers);
      say('Copied: paste them into GraphiQL\'s Headers tab.');
    } catch {
      say('The browser refused the clipboard: select the headers above and copy them.', 'error');
    }
  });
  replace(el, h('h1', {}, 'GraphiQL'),
    h('section', { class: 'card' },
      h('p', {}, 'GraphiQL, the API explorer, is at ', h('a', { href: '/graphql', target: '_blank', rel: 'noopener' }, '/graphql'),
        '. Paste these headers into its Headers tab to query with the token you signed in with:'),
      h('p', { class: 'secret', id: 'graphiql-headers' }, headers),
      h('div', { class: 'row' }, copy, h('a', { href: '/graphql', target: '_blank', rel: 'noopener' }, 'Open GraphiQL'))));
}
