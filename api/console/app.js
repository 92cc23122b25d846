// The console's entry point: the hash router, the navigation and the session.
// Routes: #/signin, #/onboard/{token} (an onboarding link), #/customers, #/customers/new,
// #/customers/{id}, #/browse, #/events, #/webhooks, #/graphiql.

import { session, gql } from './api.js';
import { h, replace, clearNotice } from './dom.js';
import * as views from './views.js';
import { browseView } from './browse.js';

const main = () => document.getElementById('main');
let leave = null;

const APP_NAV = [
  ['#/customers', 'Customers'],
  ['#/browse', 'Browse'],
  ['#/events', 'Events'],
  ['#/webhooks', 'Webhooks'],
  ['#/graphiql', 'GraphiQL'],
];

function nav(route) {
  const items = session.token() ? (session.mode() === 'link' ? [['#/customers', 'Onboarding']] : APP_NAV) : [];
  replace(document.getElementById('nav'), items.map(([href, label]) =>
    h('a', { href, 'aria-current': route.startsWith(href) ? 'page' : false }, label)));
}

async function who() {
  const el = document.getElementById('who');
  if (!session.token()) return replace(el);
  try {
    const { viewer } = await gql('{ viewer { name environment tokenExpiresAt } }');
    replace(el, h('span', { class: `badge ${viewer.environment}` }, viewer.environment),
      h('span', {}, session.mode() === 'link' ? 'onboarding link' : `app ${viewer.name}`),
      h('button', { class: 'secondary', type: 'button', onclick: signOut }, 'Sign out'));
  } catch {
    replace(el);
  }
}

function signOut() {
  session.signOut();
  location.hash = '#/signin';
}

async function route() {
  if (leave) leave();
  leave = null;
  clearNotice();
  let hash = location.hash || '#/';
  const link = hash.match(/^#\/onboard\/(.+)$/);
  if (link) {
    session.signIn(decodeURIComponent(link[1]), 'link');
    // The link's token does not stay in the address bar (or the history).
    history.replaceState(null, '', '#/customers');
    hash = '#/customers';
  }
  if (!session.token() && hash !== '#/signin') {
    history.replaceState(null, '', '#/signin');
    hash = '#/signin';
  }
  if (session.token() && (hash === '#/' || hash === '#/signin')) {
    history.replaceState(null, '', '#/customers');
    hash = '#/customers';
  }
  nav(hash);
  who();
  const el = main();
  const parts = hash.slice(2).split('/');
  const render = {
    signin: () => views.signInView(el),
    customers: () => (parts[1] === 'new' ? views.newCustomerView(el)
      : parts[1] ? views.customerView(el, decodeURIComponent(parts[1])) : views.customersView(el)),
    browse: () => browseView(el),
    events: () => views.eventsView(el),
    webhooks: () => views.webhooksView(el),
    graphiql: () => views.graphiqlView(el),
  }[parts[0]];
  if (!render) {
    replace(el, h('h1', {}, 'Not found'), h('p', {}, h('a', { href: '#/customers' }, 'Back to customers')));
    return;
  }
  leave = await render();
  const heading = el.querySelector('h1');
  if (heading) {
    heading.setAttribute('tabindex', '-1');
    document.title = `${heading.textContent} · pmsgraph console`;
  }
}

window.addEventListener('hashchange', route);
window.addEventListener('pmsgraph:unauthenticated', () => {
  session.signOut();
  location.hash = '#/signin';
});
route();
