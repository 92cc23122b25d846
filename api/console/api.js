// The console's GraphQL client: queries and mutations over fetch, subscriptions over
// graphql-transport-ws at /graphql/ws. The token lives in sessionStorage only: it is gone when the
// browser tab closes.

const TOKEN = 'pmsgraph.token';
const MODE = 'pmsgraph.mode';

export const session = {
  token: () => sessionStorage.getItem(TOKEN),
  /** `app` for an app token, `link` for an onboarding link (one customer). */
  mode: () => sessionStorage.getItem(MODE) || 'app',
  signIn(token, mode = 'app') {
    sessionStorage.setItem(TOKEN, token.trim());
    sessionStorage.setItem(MODE, mode);
  },
  signOut() {
    sessionStorage.removeItem(TOKEN);
    sessionStorage.removeItem(MODE);
  },
};

/** A GraphQL error, with its `extensions.code` (UNAUTHENTICATED, DATA_ACCESS_INCOMPLETE...). */
export class GqlError extends Error {
  constructor(message, code, errors) {
    super(message);
    this.code = code || 'UNKNOWN';
    this.errors = errors || [];
  }
}

/** Runs one operation; resolves to its `data`, or throws a GqlError. */
export async function gql(query, variables = {}) {
  const token = session.token();
  let response;
  try {
    response = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
  } catch (err) {
    throw new GqlError(`The server cannot be reached: ${err.message}`, 'NETWORK');
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new GqlError(`The server answered HTTP ${response.status}`, 'HTTP');
  }
  if (body.errors && body.errors.length) {
    const first = body.errors[0];
    const error = new GqlError(first.message, first.extensions && first.extensions.code, body.errors);
    if (response.status === 401) window.dispatchEvent(new CustomEvent('pmsgraph:unauthenticated', { detail: error }));
    throw error;
  }
  return body.data;
}

/**
 * Subscribes over graphql-transport-ws. `handlers.next(data)` gets each result, `handlers.error(e)`
 * a failure (the caller may fall back to polling). Returns a function that closes the stream.
 */
export function subscribe(query, variables, handlers) {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  let socket;
  try {
    socket = new WebSocket(`${scheme}://${location.host}/graphql/ws`, 'graphql-transport-ws');
  } catch (err) {
    handlers.error(err);
    return () => {};
  }
  let closedByUs = false;
  const send = (message) => socket.send(JSON.stringify(message));
  socket.addEventListener('open', () => {
    send({ type: 'connection_init', payload: { Authorization: `Bearer ${session.token()}` } });
  });
  socket.addEventListener('message', (event) => {
    let message;
    try {
      message = JSON.parse(event.data);
    } catch {
      return;
    }
    switch (message.type) {
      case 'connection_ack':
        send({ id: '1', type: 'subscribe', payload: { query, variables } });
        break;
      case 'next':
        if (message.payload.errors) handlers.error(new GqlError(message.payload.errors[0].message));
        else handlers.next(message.payload.data);
        break;
      case 'error':
        handlers.error(new GqlError((message.payload && message.payload[0] && message.payload[0].message) || 'subscription error'));
        break;
      case 'ping':
        send({ type: 'pong' });
        break;
      case 'complete':
        if (handlers.complete) handlers.complete();
        break;
      default:
    }
  });
  socket.addEventListener('close', () => {
    if (!closedByUs && handlers.complete) handlers.complete();
  });
  socket.addEventListener('error', () => handlers.error(new GqlError('the websocket failed', 'NETWORK')));
  return () => {
    closedByUs = true;
    socket.close();
  };
}

let schemaFacts;

/**
 * What the served schema offers: the `CredentialsInput` variants and whether it has subscriptions.
 * `null` variants when introspection is off (the caller falls back to a fixed list).
 */
export async function schemaInfo() {
  if (schemaFacts) return schemaFacts;
  try {
    const data = await gql(`{ __schema { subscriptionType { name } }
      __type(name: "CredentialsInput") { inputFields { name } } }`);
    schemaFacts = {
      credentialInputs: data.__type ? data.__type.inputFields.map((f) => f.name) : null,
      subscriptions: Boolean(data.__schema.subscriptionType),
    };
  } catch {
    schemaFacts = { credentialInputs: null, subscriptions: true };
  }
  return schemaFacts;
}
