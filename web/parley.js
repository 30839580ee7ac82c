// parley.js: a small, dependency-free browser client for parley's signaling
// protocol, version 1. One ES module, no build step:
//
//   import { connect } from './parley.js';
//   const client = await connect('wss://example.org/ws');
//   client.on('offer', (msg) => ...);
//   const { peers, iceServers } = await client.join('my-room');
//   client.send('offer', { sdp }, { to: peers[0] });
//
// A dropped WebSocket does not end the session: the client reconnects with
// exponential backoff and jitter and sends `resume` as the first message of the
// new connection, so the server hands back the same peer id, the same seat in the
// room and the messages it kept meanwhile. docs/browser.md describes the API;
// parley.d.ts declares its types for TypeScript.
//
// Beyond relaying (integration-v1): peer metadata (`join(room, {meta})`,
// `updateMeta()`, `client.peerMeta`), watching rooms without joining them
// (`watch()`, `unwatch()`, `client.watched`, `presence` events), and the
// `forbidden` error of a token whose grants leave a relay type out.

/** The protocol version this client speaks (the `version` of `welcome`). */
export const PROTOCOL_VERSION = 1;

/**
 * @typedef {Object} RTCIceServerInit
 * @property {string | string[]} urls
 * @property {string} [username]
 * @property {string} [credential]
 */

/**
 * @typedef {Object} WelcomeMessage
 * @property {'welcome'} type
 * @property {string} id         The peer id the server gave this connection.
 * @property {string} resume     A single-use token to take this session over after a drop.
 * @property {number} version    Protocol version (1).
 */

/**
 * A peer's metadata: a JSON object that the peer (or its join token) set, e.g.
 * `{name: 'Ada'}`; `{}` for a peer that has none.
 * @typedef {Object<string, *>} PeerMeta
 */

/**
 * @typedef {Object} JoinedMessage
 * @property {'joined'} type
 * @property {string} room
 * @property {string} id                      This client's peer id.
 * @property {string[]} peers                 The other peers of the room, in join order.
 * @property {Object<string, PeerMeta>} meta  The metadata of each peer of `peers`, by id.
 * @property {RTCIceServerInit[]} iceServers  Pass to `new RTCPeerConnection({ iceServers })`.
 * @property {string | number} [rid]
 */

/**
 * Another peer joined the room this client is in, or a room it watches.
 * @typedef {Object} PeerJoinedMessage
 * @property {'peer-joined'} type
 * @property {string} room
 * @property {string} id       The peer that joined.
 * @property {PeerMeta} meta   Its metadata (`{}` when none).
 */

/**
 * Another peer of the room (or of a watched room) changed its metadata.
 * @typedef {Object} PeerUpdatedMessage
 * @property {'peer-updated'} type
 * @property {string} room
 * @property {string} id
 * @property {PeerMeta} meta   Its new metadata.
 */

/**
 * The answer to `updateMeta()`.
 * @typedef {Object} MetaUpdatedMessage
 * @property {'meta-updated'} type
 * @property {string} room
 * @property {PeerMeta} meta
 * @property {string | number} [rid]
 */

/**
 * The answer to `watch()`: who is in the room now.
 * @typedef {Object} WatchingMessage
 * @property {'watching'} type
 * @property {string} room
 * @property {string[]} peers                 The peers of the room, in join order (`[]` when it does not exist).
 * @property {Object<string, PeerMeta>} meta  Their metadata, by id.
 * @property {string | number} [rid]
 */

/**
 * The answer to `unwatch()`.
 * @typedef {Object} UnwatchedMessage
 * @property {'unwatched'} type
 * @property {string} room
 * @property {string | number} [rid]
 */

/**
 * Who is in a watched room, after every change (the `presence` event, and the values
 * of `client.watched`).
 * @typedef {Object} PresenceEvent
 * @property {string} room
 * @property {string[]} peers                 In join order.
 * @property {Object<string, PeerMeta>} meta  By peer id.
 */

/**
 * Another peer left the room this client is in, or a room it watches.
 * @typedef {Object} PeerLeftMessage
 * @property {'peer-left'} type
 * @property {string} room
 * @property {string} id   The peer that left.
 * @property {'leave' | 'disconnect' | 'timeout' | 'kicked'} reason
 */

/**
 * @typedef {Object} LeftMessage
 * @property {'left'} type
 * @property {string} room
 * @property {'leave' | 'kicked'} reason
 * @property {string | number} [rid]
 */

/**
 * @typedef {Object} FullMessage
 * @property {'full'} type
 * @property {string} room
 * @property {string | number} [rid]
 */

/**
 * @typedef {Object} ResumedMessage
 * @property {'resumed'} type
 * @property {string} id           The same peer id as before the drop.
 * @property {string | null} room  The room the session is in, or null.
 * @property {string[]} peers      The other peers of that room now.
 * @property {Object<string, PeerMeta>} [meta]  Their metadata, by id.
 * @property {string} resume       The next resume token.
 * @property {string | number} [rid]
 */

/**
 * @typedef {Object} ErrorMessage
 * @property {'error'} type
 * @property {string} code      e.g. `bad-room`, `unauthorized`, `unknown-peer`, `rate-limited`,
 *     `forbidden` (a relay type the join token's grant leaves out, or `updateMeta()` when
 *     the token pinned the metadata).
 * @property {string} message   For people, not for programs.
 * @property {string | number} [rid]
 */

/**
 * A message relayed from another peer: the sender's object with `from` set by the server.
 * @typedef {Object} RelayedMessage
 * @property {'offer' | 'answer' | 'candidate' | 'message'} type
 * @property {string} from         The sender's peer id (set by the server, cannot be forged).
 * @property {string} [to]         Present when the sender addressed this peer only.
 * @property {string} [sdp]        `offer` and `answer`.
 * @property {RTCIceCandidateInit | string | null} [candidate]  `candidate`.
 * @property {*} [data]            `message`: any JSON value.
 */

/**
 * @typedef {Object} ReconnectingEvent
 * @property {number} attempt   1 for the first retry after a drop, then 2, 3, ...
 * @property {number} delay     Milliseconds until this attempt.
 * @property {number} code      The close code of the connection that dropped (1006: no close frame).
 * @property {string} reason    Its close reason, if any.
 */

/**
 * Emitted when a reconnect could not take the old session over (the grace ran out, the
 * server restarted without a cluster, ...). The client goes on as a fresh session with a
 * new peer id and in no room: join again and rebuild every peer connection.
 * @typedef {Object} ResumeFailedEvent
 * @property {string} id                  The new peer id.
 * @property {string | null} previousId   The peer id that was lost.
 * @property {string | null} room         The room the lost session was in (now not joined).
 * @property {string} code                Why: `resume-failed` or another error code.
 */

/**
 * @typedef {Object} CloseEvent
 * @property {number} code        The WebSocket close code.
 * @property {string} reason
 * @property {boolean} byClient   True after `close()`.
 */

/**
 * @typedef {'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed'} ConnectionState
 */

/**
 * Every event `on()` accepts, with the type of the value its listeners receive.
 * @typedef {Object} ParleyEventMap
 * @property {WelcomeMessage} welcome           A new session (first connect, or after a failed resume).
 * @property {JoinedMessage} joined
 * @property {PeerJoinedMessage} peer-joined
 * @property {PeerLeftMessage} peer-left
 * @property {PeerUpdatedMessage} peer-updated  Another peer changed its metadata.
 * @property {MetaUpdatedMessage} meta-updated  This peer's metadata changed (`updateMeta()`).
 * @property {WatchingMessage} watching         A watch started (also again after a reconnect).
 * @property {UnwatchedMessage} unwatched
 * @property {PresenceEvent} presence           Who is in a watched room, after each change.
 * @property {LeftMessage} left                 After `leave()`, or when an admin removed this peer.
 * @property {FullMessage} full
 * @property {RelayedMessage} offer
 * @property {RelayedMessage} answer
 * @property {RelayedMessage} candidate
 * @property {RelayedMessage} message
 * @property {ErrorMessage} error               An error that answers no pending request.
 * @property {ReconnectingEvent} reconnecting   The WebSocket dropped; a reconnect is scheduled.
 * @property {ResumedMessage} resumed           The reconnect took the old session over.
 * @property {ResumeFailedEvent} resume-failed  The reconnect started a fresh session instead.
 * @property {CloseEvent} close                 The client is closed for good (no more reconnects).
 * @property {ConnectionState} state            The connection state changed.
 * @property {Object} pong
 */

/**
 * @typedef {Object} ParleyOptions
 * @property {boolean} [reconnect=true]       Reconnect and resume after a drop.
 * @property {number} [backoffInitial=200]    First reconnect delay in ms (before jitter).
 * @property {number} [backoffMax=5000]       Longest reconnect delay in ms.
 * @property {number} [requestTimeout=10000]  Ms a request (join, leave, ping) may wait for its answer.
 * @property {number} [heartbeatInterval=20000]  Ms between the client's own pings (0: none).
 * @property {number} [heartbeatTimeout=10000]   Ms without any frame after a ping before the
 *     connection is given up as dead and replaced.
 * @property {number} [maxQueued=256]         Messages kept while reconnecting; the oldest go first.
 * @property {number} [maxReconnectAttempts=Infinity]  Reconnects in a row before giving up.
 * @property {typeof WebSocket} [WebSocket]   A WebSocket implementation (default: the global one).
 */

/**
 * An error that rejects a promise of the client: `code` is the server's error code
 * (`bad-room`, `unauthorized`, ...), or `full`; `timeout` (no answer in time),
 * `connection-lost` (the connection dropped before the answer), `resume-failed` (the
 * request was queued for a session that could not be resumed), `closed`; for
 * connect(), `connect-failed` or `bad-url`.
 */
export class ParleyError extends Error {
  /**
   * @param {string} code
   * @param {string} message
   * @param {Object} [reply] The server's answer, when there is one.
   */
  constructor(code, message, reply) {
    super(message);
    this.name = 'ParleyError';
    /** @type {string} */
    this.code = code;
    /** @type {Object | undefined} */
    this.reply = reply;
  }
}

// Close codes after which reconnecting cannot help: this client broke the protocol
// (1002, 1003, 1007, 1009) or was closed for abusing it (1008). Any other drop may
// be survived by a resume, and trying costs one connection at most.
const FATAL_CLOSE_CODES = new Set([1002, 1003, 1007, 1008, 1009]);

// Answers that the server sends to one request, carrying its `rid`.
const REPLY_TYPES = new Set([
  'joined',
  'full',
  'left',
  'pong',
  'resumed',
  'error',
  'meta-updated',
  'watching',
  'unwatched',
]);

/**
 * A connection to a parley server. Create one with `connect(url)`, or with
 * `new ParleyClient(url)` followed by `client.connect()`.
 */
export class ParleyClient {
  /**
   * @param {string} url  The WebSocket endpoint, e.g. `wss://example.org/ws`.
   * @param {ParleyOptions} [options]
   */
  constructor(url, options = {}) {
    this.url = url;
    this.options = {
      reconnect: true,
      backoffInitial: 200,
      backoffMax: 5000,
      requestTimeout: 10000,
      heartbeatInterval: 20000,
      heartbeatTimeout: 10000,
      maxQueued: 256,
      maxReconnectAttempts: Infinity,
      ...options,
    };
    /** This session's peer id (null before the first `welcome`). @type {string | null} */
    this.id = null;
    /** The room this session is in, or null. @type {string | null} */
    this.room = null;
    /** The other peers of the room, in join order. @type {string[]} */
    this.peers = [];
    /** The metadata of each peer of `peers`, by id. @type {Object<string, PeerMeta>} */
    this.peerMeta = {};
    /**
     * The rooms this client watches, each with who is in it, kept up to date.
     * @type {Map<string, PresenceEvent>}
     */
    this.watched = new Map();
    /** @type {ConnectionState} */
    this.state = 'idle';

    /** @type {Map<string, Set<Function>>} */
    this._listeners = new Map();
    /** @type {Map<string, {resolve: Function, reject: Function, timer: any}>} */
    this._pending = new Map();
    this._nextRid = 1;
    /** @type {WebSocket | null} */
    this._ws = null;
    this._resumeToken = null;
    /** Messages sent while reconnecting, flushed once the session is back. */
    this._queue = [];
    this._attempt = 0;
    this._reconnectTimer = null;
    this._heartbeatTimer = null;
    this._heartbeatDeadline = null;
    this._closedByClient = false;
    /** The settle functions of a pending connect(). */
    this._connecting = null;
    /** The token of each watch, to watch again on a new connection. @type {Map<string, string | undefined>} */
    this._watchTokens = new Map();
    /** Watches to ask for again after an `unavailable`, by room. @type {Map<string, any>} */
    this._rewatchTimers = new Map();
  }

  // ---------------------------------------------------------------- events

  /**
   * Adds a listener; returns a function that removes it.
   * @template {keyof ParleyEventMap} K
   * @param {K} type
   * @param {(event: ParleyEventMap[K]) => void} listener
   * @returns {() => void}
   */
  on(type, listener) {
    let set = this._listeners.get(type);
    if (!set) this._listeners.set(type, (set = new Set()));
    set.add(listener);
    return () => this.off(type, listener);
  }

  /**
   * Removes a listener added with `on()`.
   * @template {keyof ParleyEventMap} K
   * @param {K} type
   * @param {(event: ParleyEventMap[K]) => void} listener
   */
  off(type, listener) {
    this._listeners.get(type)?.delete(listener);
  }

  /**
   * Like `on()`, for the next event of that type only.
   * @template {keyof ParleyEventMap} K
   * @param {K} type
   * @param {(event: ParleyEventMap[K]) => void} listener
   * @returns {() => void}
   */
  once(type, listener) {
    const off = this.on(type, (event) => {
      off();
      listener(event);
    });
    return off;
  }

  _emit(type, event) {
    for (const listener of [...(this._listeners.get(type) ?? [])]) {
      // A throwing listener must not break the client's own bookkeeping or the
      // other listeners; report it where developers look.
      try {
        listener(event);
      } catch (err) {
        console.error(`parley: a '${type}' listener threw`, err);
      }
    }
  }

  _setState(state) {
    if (this.state === state) return;
    this.state = state;
    this._emit('state', state);
  }

  // ------------------------------------------------------------- requests

  /**
   * Opens the connection; resolves with the server's `welcome` once the session exists.
   * @returns {Promise<WelcomeMessage>}
   */
  connect() {
    if (this.state !== 'idle' && this.state !== 'closed') {
      return Promise.reject(new ParleyError('already-connected', 'connect() was called twice'));
    }
    this._closedByClient = false;
    this._setState('connecting');
    return new Promise((resolve, reject) => {
      this._connecting = { resolve, reject };
      this._openSocket();
    });
  }

  /**
   * Joins a room (created on its first join). Resolves with `joined`; rejects with a
   * `ParleyError` whose `code` is `full`, or an error code such as `bad-room`,
   * `already-in-room`, `unauthorized` or `bad-message` (a `meta` that is not an object
   * or is too large).
   * @param {string} room
   * @param {{token?: string, meta?: PeerMeta}} [options]  `token`: a JWT, needed when the
   *     server has auth on. `meta`: this peer's metadata, shown to the others (ignored
   *     when the token pins metadata of its own).
   * @returns {Promise<JoinedMessage>}
   */
  join(room, { token, meta } = {}) {
    const message = { type: 'join', room };
    if (token !== undefined) message.token = token;
    if (meta !== undefined) message.meta = meta;
    return this._request(message);
  }

  /**
   * Replaces this peer's metadata; the others of the room get `peer-updated`. Resolves
   * with `meta-updated`; rejects with `not-in-room`, `forbidden` (the join token pinned
   * the metadata) or `bad-message`.
   * @param {PeerMeta} meta
   * @returns {Promise<MetaUpdatedMessage>}
   */
  updateMeta(meta) {
    return this._request({ type: 'update-meta', meta });
  }

  /**
   * Watches a room without joining it: resolves with `watching` (who is in it now),
   * then `peer-joined`, `peer-left` and `peer-updated` of that room arrive as events
   * (with its `room`), and `presence` after each. A watch takes no seat and receives no
   * relayed messages. Rejects with `watch-limit`, `unauthorized`, `bad-room`. A watch
   * outlives reconnects: the client watches again on the new connection (and asks again
   * with backoff while the server answers `unavailable`).
   * @param {string} room
   * @param {{token?: string}} [options]  `token`: a JWT for that room, when auth is on.
   * @returns {Promise<WatchingMessage>}
   */
  watch(room, { token } = {}) {
    const message = { type: 'watch', room };
    if (token !== undefined) message.token = token;
    return this._request(message).then((answer) => {
      this._watchTokens.set(room, token);
      return answer;
    });
  }

  /**
   * Stops watching a room. Resolves with `unwatched`; rejects with `not-watching`.
   * @param {string} room
   * @returns {Promise<UnwatchedMessage>}
   */
  unwatch(room) {
    this._watchTokens.delete(room);
    clearTimeout(this._rewatchTimers.get(room));
    this._rewatchTimers.delete(room);
    return this._request({ type: 'unwatch', room });
  }

  /**
   * Leaves the room. Resolves with `left`; rejects with `not-in-room` outside a room.
   * @returns {Promise<LeftMessage>}
   */
  leave() {
    return this._request({ type: 'leave' });
  }

  /**
   * Asks the server for a `pong` (the client also does this by itself to notice dead
   * connections, see `heartbeatInterval`).
   * @returns {Promise<Object>}
   */
  ping() {
    return this._request({ type: 'ping' });
  }

  /**
   * Sends a message for the other peers of the room: `offer` / `answer` (`{sdp}`),
   * `candidate` (`{candidate}`), or `message` (`{data}`: any JSON). Without `to` it goes
   * to every other peer, with `to` to that peer only. Messages sent while reconnecting
   * are queued and sent, in order, once the session is resumed. Errors (`not-in-room`,
   * `unknown-peer`, ...) arrive as `error` events. Returns false (and sends nothing)
   * when the client is closed.
   * @param {'offer' | 'answer' | 'candidate' | 'message' | string} type
   * @param {Object} [payload]
   * @param {{to?: string}} [options]
   * @returns {boolean}
   */
  send(type, payload = {}, { to } = {}) {
    const message = { ...payload, type };
    if (to !== undefined) message.to = to;
    if (this.state === 'closed' || this.state === 'idle') return false;
    this._transmit(message);
    return true;
  }

  /**
   * Ends the session: sends a close frame, so the server tells the room at once and the
   * session cannot be resumed. Pending requests reject with `closed`.
   * @param {number} [code=1000]
   * @param {string} [reason]
   */
  close(code = 1000, reason = '') {
    if (this.state === 'closed' || this.state === 'idle') return;
    this._closedByClient = true;
    this._stopTimers();
    const ws = this._ws;
    this._ws = null;
    if (ws) {
      detach(ws);
      try {
        ws.close(code, reason);
      } catch {
        ws.close();
      }
    }
    this._finish({ code, reason, byClient: true });
  }

  _request(message) {
    if (this.state === 'closed' || this.state === 'idle') {
      return Promise.reject(new ParleyError('closed', 'the client is not connected'));
    }
    const rid = `r${this._nextRid++}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this._pending.delete(rid);
        reject(new ParleyError('timeout', `no answer to '${message.type}'`));
      }, this.options.requestTimeout);
      this._pending.set(rid, { resolve, reject, timer });
      this._transmit({ ...message, rid });
    });
  }

  _settle(rid, settle) {
    const pending = this._pending.get(String(rid));
    if (!pending) return false;
    this._pending.delete(String(rid));
    clearTimeout(pending.timer);
    settle(pending);
    return true;
  }

  _rejectAllPending(code, text) {
    for (const [rid, pending] of this._pending) {
      clearTimeout(pending.timer);
      pending.reject(new ParleyError(code, text));
      this._pending.delete(rid);
    }
  }

  _transmit(message) {
    // A socket that is already closing would silently discard the message; keep it for
    // the resumed session instead.
    if (this.state === 'open' && this._ws && this._ws.readyState === 1) {
      this._ws.send(JSON.stringify(message));
      return;
    }
    if (this.state === 'closed' || this.state === 'idle') {
      throw new ParleyError('closed', 'the client is not connected');
    }
    // Connecting or reconnecting: keep it for the session that comes back.
    this._queue.push(message);
    if (this._queue.length > this.options.maxQueued) this._queue.shift();
  }

  _flushQueue() {
    const queued = this._queue;
    this._queue = [];
    for (const message of queued) this._transmit(message);
  }

  // ----------------------------------------------------------- connection

  /** Opens one WebSocket. With a resume token, its first message is `resume`. */
  _openSocket() {
    const WebSocketImpl = this.options.WebSocket ?? globalThis.WebSocket;
    let ws;
    try {
      ws = new WebSocketImpl(this.url);
    } catch (err) {
      // A malformed URL: no retry can fix it.
      this._finish({ code: 1006, reason: String(err), byClient: false }, 'bad-url');
      return;
    }
    this._ws = ws;
    const resuming = this._resumeToken !== null;
    const resumeRid = resuming ? `resume${this._nextRid++}` : null;
    let welcome = null; // held back while a resume is pending
    let resumeTimer = null;

    ws.onopen = () => {
      if (resuming) {
        // Must be the first message of the connection, before anything queued.
        ws.send(JSON.stringify({ type: 'resume', token: this._resumeToken, rid: resumeRid }));
        // A server that never answers must not leave the client reconnecting forever.
        resumeTimer = setTimeout(() => {
          if (this._ws === ws && this.state === 'reconnecting') this._abandonSocket();
        }, this.options.requestTimeout);
      }
      this._startHeartbeat();
    };

    ws.onmessage = (event) => {
      this._heartbeatDeadline = null; // any frame proves the connection alive
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return; // the server only sends JSON objects; ignore anything else
      }
      if (!message || typeof message !== 'object' || typeof message.type !== 'string') return;

      if (message.type === 'welcome' && welcome === null) {
        welcome = message;
        if (!resuming) {
          this._adoptSession(message);
          this._attempt = 0;
          this._setState('open');
          this._flushQueue();
          this._connecting?.resolve(message);
          this._connecting = null;
          this._emit('welcome', message);
        }
        return;
      }
      if (resuming && message.rid === resumeRid) {
        clearTimeout(resumeTimer);
        this._finishResume(message, welcome);
        return;
      }
      this._dispatch(message);
    };

    ws.onclose = (event) => {
      detach(ws);
      clearTimeout(resumeTimer);
      if (this._ws !== ws) return;
      this._ws = null;
      if (this.state === 'connecting') {
        // The first connection ended before its welcome: connect() fails, no retry.
        this._finish({ code: event.code, reason: event.reason, byClient: false }, 'connect-failed');
        return;
      }
      this._connectionLost(event.code, event.reason);
    };

    ws.onerror = () => {
      // Always followed by `close`, which does the work.
    };
  }

  _adoptSession(message) {
    this.id = message.id;
    this._resumeToken = message.resume ?? null;
  }

  _finishResume(message, welcome) {
    if (message.type === 'resumed') {
      this.id = message.id;
      this._resumeToken = message.resume ?? null;
      this.room = message.room ?? null;
      this.peers = [...(message.peers ?? [])];
      this.peerMeta = { ...(message.meta ?? {}) };
      this._attempt = 0;
      this._setState('open');
      // What was queued during the drop goes first, so that anything the page sends
      // from its `resumed` listener keeps its place in the order.
      this._flushQueue();
      this._emit('resumed', message);
      this._rewatch();
      return;
    }
    // The old session is gone: go on as the fresh one this connection created. What
    // was queued was meant for the old room and its peers, so it is dropped.
    const previousId = this.id;
    const room = this.room;
    this._queue = [];
    this._rejectAllPending('resume-failed', 'the session was lost; a new one started');
    this.room = null;
    this.peers = [];
    this.peerMeta = {};
    if (welcome) this._adoptSession(welcome);
    this._attempt = 0;
    this._setState('open');
    if (welcome) this._emit('welcome', welcome);
    this._emit('resume-failed', {
      id: this.id,
      previousId,
      room,
      code: message.type === 'error' ? message.code : message.type,
    });
    this._rewatch();
  }

  /** Watches end with their connection; a new connection watches the same rooms again. */
  _rewatch() {
    this._stopRewatchTimers();
    for (const room of this._watchTokens.keys()) this._watchAgain(room, 1);
  }

  /**
   * Watches `room` again on this connection. A server that cannot answer for now (a
   * cluster node cut off from Redis says `unavailable`; or no answer in time) is asked
   * again with the reconnect backoff, for as long as the watch stands and the
   * connection lasts; any other refusal ends the watch and is reported as `error`.
   */
  _watchAgain(room, attempt) {
    if (!this._watchTokens.has(room) || this.state !== 'open') return;
    const ws = this._ws;
    const token = this._watchTokens.get(room);
    const message = { type: 'watch', room };
    if (token !== undefined) message.token = token;
    this._request(message).catch((err) => {
      if (err.code === 'connection-lost' || err.code === 'closed') return;
      if (!this._watchTokens.has(room)) return; // unwatched meanwhile
      if (err.code === 'unavailable' || err.code === 'timeout') {
        if (this._ws !== ws || this.state !== 'open') return; // the next connection rewatches
        const ceiling = Math.min(
          this.options.backoffMax,
          this.options.backoffInitial * 2 ** (attempt - 1),
        );
        const delay = Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
        clearTimeout(this._rewatchTimers.get(room));
        this._rewatchTimers.set(
          room,
          setTimeout(() => {
            this._rewatchTimers.delete(room);
            if (this._ws === ws) this._watchAgain(room, attempt + 1);
          }, delay),
        );
        return;
      }
      this._watchTokens.delete(room);
      this.watched.delete(room);
      this._emit('error', { type: 'error', code: err.code, message: err.message });
    });
  }

  _stopRewatchTimers() {
    for (const timer of this._rewatchTimers.values()) clearTimeout(timer);
    this._rewatchTimers.clear();
  }

  _dispatch(message) {
    this._track(message);
    if (REPLY_TYPES.has(message.type) && message.rid !== undefined) {
      const claimed = this._settle(message.rid, ({ resolve, reject }) => {
        if (message.type === 'error') {
          reject(new ParleyError(message.code, message.message ?? message.code, message));
        } else if (message.type === 'full') {
          reject(new ParleyError('full', `room '${message.room}' is full`, message));
        } else {
          resolve(message);
        }
      });
      // An error that answered a request is reported through that request's promise.
      if (claimed && message.type === 'error') return;
    }
    this._emit(message.type, message);
  }

  /** Keeps `room`, `peers`, the metadata and the watched rooms in step with the server. */
  _track(message) {
    const inRoom = this.room !== null && message.room === this.room;
    switch (message.type) {
      case 'joined':
        this.room = message.room;
        this.peers = [...(message.peers ?? [])];
        this.peerMeta = { ...(message.meta ?? {}) };
        break;
      case 'peer-joined':
        // A client that watches its own room hears its own join as a watcher.
        if (inRoom && message.id !== this.id) {
          if (!this.peers.includes(message.id)) this.peers.push(message.id);
          this.peerMeta[message.id] = message.meta ?? {};
        }
        break;
      case 'peer-left':
        if (inRoom) {
          this.peers = this.peers.filter((id) => id !== message.id);
          delete this.peerMeta[message.id];
        }
        break;
      case 'peer-updated':
        if (inRoom && this.peers.includes(message.id)) this.peerMeta[message.id] = message.meta ?? {};
        break;
      case 'left':
        this.room = null;
        this.peers = [];
        this.peerMeta = {};
        break;
    }
    this._trackWatched(message);
  }

  /** Keeps `watched` up to date; emits `presence` after each change of a watched room. */
  _trackWatched(message) {
    if (message.type === 'watching') {
      this.watched.set(message.room, {
        room: message.room,
        peers: [...(message.peers ?? [])],
        meta: { ...(message.meta ?? {}) },
      });
    } else if (message.type === 'unwatched') {
      this.watched.delete(message.room);
      return;
    } else {
      const presence = this.watched.get(message.room);
      if (!presence) return;
      if (message.type === 'peer-joined') {
        if (!presence.peers.includes(message.id)) presence.peers.push(message.id);
        presence.meta[message.id] = message.meta ?? {};
      } else if (message.type === 'peer-left') {
        presence.peers = presence.peers.filter((id) => id !== message.id);
        delete presence.meta[message.id];
      } else if (message.type === 'peer-updated') {
        presence.meta[message.id] = message.meta ?? {};
      } else {
        return;
      }
    }
    const presence = this.watched.get(message.room);
    // A copy: listeners may keep it.
    this._emit('presence', {
      room: presence.room,
      peers: [...presence.peers],
      meta: { ...presence.meta },
    });
  }

  _connectionLost(code, reason) {
    this._stopTimers();
    this._rejectAllPending('connection-lost', 'the connection dropped before the answer came');
    if (this._closedByClient) return;
    const giveUp =
      !this.options.reconnect ||
      FATAL_CLOSE_CODES.has(code) ||
      this._attempt >= this.options.maxReconnectAttempts;
    if (giveUp) {
      this._finish({ code, reason, byClient: false });
      return;
    }
    this._setState('reconnecting');
    this._scheduleReconnect(code, reason);
  }

  _scheduleReconnect(code, reason) {
    this._attempt += 1;
    // Exponential backoff with "equal jitter": half the delay is fixed, half random,
    // so a whole room dropped by one server restart does not come back in lockstep.
    const ceiling = Math.min(
      this.options.backoffMax,
      this.options.backoffInitial * 2 ** (this._attempt - 1),
    );
    const delay = Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
    this._emit('reconnecting', { attempt: this._attempt, delay, code, reason });
    this._reconnectTimer = setTimeout(() => {
      this._reconnectTimer = null;
      if (this.state === 'reconnecting') this._openSocket();
    }, delay);
  }

  _startHeartbeat() {
    clearInterval(this._heartbeatTimer);
    this._heartbeatDeadline = null;
    if (!this.options.heartbeatInterval) return;
    // Browsers answer the server's pings but tell the page nothing, so a silently dead
    // network would leave this side waiting forever. An application-level ping that
    // gets no frame back in time marks the connection dead.
    const tick = Math.min(this.options.heartbeatInterval, this.options.heartbeatTimeout);
    let sinceLastPing = 0;
    this._heartbeatTimer = setInterval(() => {
      if (this.state !== 'open' || !this._ws) return;
      const now = Date.now();
      if (this._heartbeatDeadline !== null && now > this._heartbeatDeadline) {
        this._abandonSocket();
        return;
      }
      sinceLastPing += tick;
      if (sinceLastPing >= this.options.heartbeatInterval && this._heartbeatDeadline === null) {
        sinceLastPing = 0;
        this._heartbeatDeadline = now + this.options.heartbeatTimeout;
        this._ws.send(JSON.stringify({ type: 'ping' }));
      }
    }, tick);
  }

  /** Gives up on a connection that stopped answering, and resumes on a new one. */
  _abandonSocket() {
    const ws = this._ws;
    this._ws = null;
    detach(ws);
    // A close frame would end the session at the server, if it ever got there; a
    // code the server treats as a loss is not available to pages, so just drop it.
    try {
      ws.close(4000, 'heartbeat timeout');
    } catch {
      /* already closing */
    }
    this._connectionLost(1006, 'heartbeat timeout');
  }

  _stopTimers() {
    this._stopRewatchTimers();
    clearTimeout(this._reconnectTimer);
    clearInterval(this._heartbeatTimer);
    this._reconnectTimer = null;
    this._heartbeatTimer = null;
    this._heartbeatDeadline = null;
  }

  /** Closed for good; `connectError` is the code connect() rejects with, if pending. */
  _finish(event, connectError = 'closed') {
    this._stopTimers();
    this._connecting?.reject(new ParleyError(connectError, `cannot connect to ${this.url}`));
    this._connecting = null;
    this._rejectAllPending('closed', 'the client was closed');
    this._queue = [];
    this._resumeToken = null;
    this.room = null;
    this.peers = [];
    this.peerMeta = {};
    this.watched.clear();
    this._watchTokens.clear();
    this._setState('closed');
    this._emit('close', event);
  }
}

function detach(ws) {
  ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
}

/**
 * Connects to a parley server; resolves once the server's `welcome` arrived.
 * @param {string} url  The WebSocket endpoint, e.g. `wss://example.org/ws`.
 * @param {ParleyOptions} [options]
 * @returns {Promise<ParleyClient>}
 */
export async function connect(url, options) {
  const client = new ParleyClient(url, options);
  await client.connect();
  return client;
}

/**
 * The WebSocket URL of a parley server that also serves the current page:
 * `wss://host/ws` on https pages, `ws://host/ws` on http ones.
 * @param {Location | URL} [where=location]
 * @returns {string}
 */
export function defaultUrl(where = globalThis.location) {
  const scheme = where.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${where.host}/ws`;
}
