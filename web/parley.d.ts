// TypeScript declarations of web/parley.js, the browser client of parley's
// signaling protocol v1 and its application features (integration-v1): every
// export, method, property, option, event and error code. docs/browser.md
// describes them in prose.
//
//   import { connect, type JoinedMessage } from './parley.js';

/** The protocol version this client speaks (the `version` of `welcome`). */
export declare const PROTOCOL_VERSION: 1;

export interface RTCIceServerInit {
  urls: string | string[];
  username?: string;
  credential?: string;
}

/** A request id, echoed by the server in its answer. */
export type Rid = string | number;

/** A peer's metadata: a JSON object (`{}` for a peer that has none). */
export type PeerMeta = { [key: string]: unknown };

/** The relay types a peer may send (a token's `relay` grant names some of them). */
export type RelayType = 'offer' | 'answer' | 'candidate' | 'message';

export type LeaveReason = 'leave' | 'disconnect' | 'timeout' | 'kicked';

export type ConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

/** The server's error codes (protocol-v1 "Errors", integration-v1 "New error codes"). */
export type ServerErrorCode =
  | 'bad-json'
  | 'bad-message'
  | 'unknown-type'
  | 'bad-room'
  | 'already-in-room'
  | 'not-in-room'
  | 'unknown-peer'
  | 'unauthorized'
  | 'room-limit'
  | 'rate-limited'
  | 'resume-failed'
  | 'forbidden'
  | 'watch-limit'
  | 'not-watching'
  | 'unavailable';

/** The codes of a ParleyError: a server error code, or one of the client's own. */
export type ParleyErrorCode =
  | ServerErrorCode
  | 'full'
  | 'timeout'
  | 'connection-lost'
  | 'closed'
  | 'connect-failed'
  | 'bad-url'
  | 'already-connected';

export interface WelcomeMessage {
  type: 'welcome';
  /** The peer id the server gave this connection. */
  id: string;
  /** A single-use token to take this session over after a drop. */
  resume: string;
  version: number;
}

export interface JoinedMessage {
  type: 'joined';
  room: string;
  /** This client's peer id. */
  id: string;
  /** The other peers of the room, in join order. */
  peers: string[];
  /** The metadata of each peer of `peers`, by id. */
  meta: Record<string, PeerMeta>;
  /** Pass to `new RTCPeerConnection({ iceServers })`. */
  iceServers: RTCIceServerInit[];
  rid?: Rid;
}

/** Another peer joined the room this client is in, or a room it watches. */
export interface PeerJoinedMessage {
  type: 'peer-joined';
  room: string;
  id: string;
  /** Its metadata (`{}` when none). */
  meta: PeerMeta;
}

/** Another peer left the room this client is in, or a room it watches. */
export interface PeerLeftMessage {
  type: 'peer-left';
  room: string;
  id: string;
  reason: LeaveReason;
}

/** Another peer of the room (or of a watched room) changed its metadata. */
export interface PeerUpdatedMessage {
  type: 'peer-updated';
  room: string;
  id: string;
  meta: PeerMeta;
}

/** The answer to `updateMeta()`. */
export interface MetaUpdatedMessage {
  type: 'meta-updated';
  room: string;
  meta: PeerMeta;
  rid?: Rid;
}

/** The answer to `watch()`: who is in the room now. */
export interface WatchingMessage {
  type: 'watching';
  room: string;
  /** The peers of the room in join order (`[]` when the room does not exist). */
  peers: string[];
  meta: Record<string, PeerMeta>;
  rid?: Rid;
}

/** The answer to `unwatch()`. */
export interface UnwatchedMessage {
  type: 'unwatched';
  room: string;
  rid?: Rid;
}

/** Who is in a watched room (the `presence` event, and the values of `client.watched`). */
export interface PresenceEvent {
  room: string;
  peers: string[];
  meta: Record<string, PeerMeta>;
}

export interface LeftMessage {
  type: 'left';
  room: string;
  reason: 'leave' | 'kicked';
  rid?: Rid;
}

export interface FullMessage {
  type: 'full';
  room: string;
  rid?: Rid;
}

export interface PongMessage {
  type: 'pong';
  rid?: Rid;
}

export interface ResumedMessage {
  type: 'resumed';
  /** The same peer id as before the drop. */
  id: string;
  /** The room the session is in, or null. */
  room: string | null;
  /** The other peers of that room now. */
  peers: string[];
  /** Their metadata, by id. */
  meta?: Record<string, PeerMeta>;
  /** The next resume token. */
  resume: string;
  rid?: Rid;
}

export interface ErrorMessage {
  type: 'error';
  code: ServerErrorCode;
  /** For people, not for programs. */
  message: string;
  rid?: Rid;
}

/** A message relayed from another peer: the sender's object with `from` set by the server. */
export interface RelayedMessage {
  type: RelayType;
  /** The sender's peer id (set by the server, cannot be forged). */
  from: string;
  /** Present when the sender addressed this peer only. */
  to?: string;
  /** `offer` and `answer`. */
  sdp?: string;
  /** `candidate`. */
  candidate?: RTCIceCandidateInit | string | null;
  /** `message`: any JSON value. */
  data?: unknown;
  [field: string]: unknown;
}

export interface ReconnectingEvent {
  /** 1 for the first retry after a drop, then 2, 3, ... */
  attempt: number;
  /** Milliseconds until this attempt. */
  delay: number;
  /** The close code of the connection that dropped (1006: no close frame). */
  code: number;
  reason: string;
}

export interface ResumeFailedEvent {
  /** The new peer id. */
  id: string;
  /** The peer id that was lost. */
  previousId: string | null;
  /** The room the lost session was in (now not joined). */
  room: string | null;
  /** Why: `resume-failed` or another error code. */
  code: string;
}

export interface CloseEvent {
  code: number;
  reason: string;
  /** True after `close()`. */
  byClient: boolean;
}

/** Every event `on()` accepts, with the value its listeners receive. */
export interface ParleyEventMap {
  welcome: WelcomeMessage;
  joined: JoinedMessage;
  'peer-joined': PeerJoinedMessage;
  'peer-left': PeerLeftMessage;
  'peer-updated': PeerUpdatedMessage;
  'meta-updated': MetaUpdatedMessage;
  watching: WatchingMessage;
  unwatched: UnwatchedMessage;
  presence: PresenceEvent;
  left: LeftMessage;
  full: FullMessage;
  offer: RelayedMessage;
  answer: RelayedMessage;
  candidate: RelayedMessage;
  message: RelayedMessage;
  /** An error that answers no pending request (`unknown-peer`, `forbidden`, `rate-limited`, ...). */
  error: ErrorMessage;
  reconnecting: ReconnectingEvent;
  resumed: ResumedMessage;
  'resume-failed': ResumeFailedEvent;
  close: CloseEvent;
  state: ConnectionState;
  pong: PongMessage;
}

export interface ParleyOptions {
  /** Reconnect and resume after a drop (default true). */
  reconnect?: boolean;
  /** First reconnect delay in ms, before jitter (default 200). */
  backoffInitial?: number;
  /** Longest reconnect delay in ms (default 5000). */
  backoffMax?: number;
  /** Ms a request may wait for its answer (default 10000). */
  requestTimeout?: number;
  /** Ms between the client's own pings; 0: none (default 20000). */
  heartbeatInterval?: number;
  /** Ms without any frame after a ping before the connection is replaced (default 10000). */
  heartbeatTimeout?: number;
  /** Messages kept while reconnecting; the oldest go first (default 256). */
  maxQueued?: number;
  /** Reconnects in a row before giving up (default Infinity). */
  maxReconnectAttempts?: number;
  /** A WebSocket implementation (default: the global one). */
  WebSocket?: typeof WebSocket;
}

export interface JoinOptions {
  /** A JWT, needed when the server has auth on. */
  token?: string;
  /** This peer's metadata (ignored by the server when the token pins its own). */
  meta?: PeerMeta;
}

export interface WatchOptions {
  /** A JWT for that room, needed when the server has auth on. */
  token?: string;
}

export interface SendOptions {
  /** Only this peer receives the message. */
  to?: string;
}

/** An error that rejects a promise of the client. */
export declare class ParleyError extends Error {
  constructor(code: string, message: string, reply?: object);
  name: 'ParleyError';
  code: ParleyErrorCode;
  /** The server's answer, when there is one. */
  reply?: ErrorMessage | FullMessage | object;
}

/** A connection to a parley server. */
export declare class ParleyClient {
  constructor(url: string, options?: ParleyOptions);
  readonly url: string;
  readonly options: Required<Omit<ParleyOptions, 'WebSocket'>> & Pick<ParleyOptions, 'WebSocket'>;
  /** This session's peer id (null before the first `welcome`). */
  id: string | null;
  /** The room this session is in, or null. */
  room: string | null;
  /** The other peers of the room, in join order. */
  peers: string[];
  /** The metadata of each peer of `peers`, by id. */
  peerMeta: Record<string, PeerMeta>;
  /** The rooms this client watches, each with who is in it. */
  watched: Map<string, PresenceEvent>;
  state: ConnectionState;

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof ParleyEventMap>(type: K, listener: (event: ParleyEventMap[K]) => void): () => void;
  /** Removes a listener added with `on()`. */
  off<K extends keyof ParleyEventMap>(type: K, listener: (event: ParleyEventMap[K]) => void): void;
  /** Like `on()`, for the next event of that type only. */
  once<K extends keyof ParleyEventMap>(type: K, listener: (event: ParleyEventMap[K]) => void): () => void;

  /** Opens the connection; resolves with the server's `welcome`. */
  connect(): Promise<WelcomeMessage>;
  /** Joins a room; rejects with `full` or a server error code. */
  join(room: string, options?: JoinOptions): Promise<JoinedMessage>;
  /** Replaces this peer's metadata; rejects with `not-in-room`, `forbidden`, `bad-message`. */
  updateMeta(meta: PeerMeta): Promise<MetaUpdatedMessage>;
  /** Watches a room without joining; rejects with `watch-limit`, `unauthorized`, `bad-room`. */
  watch(room: string, options?: WatchOptions): Promise<WatchingMessage>;
  /** Stops watching a room; rejects with `not-watching`. */
  unwatch(room: string): Promise<UnwatchedMessage>;
  /** Leaves the room; rejects with `not-in-room`. */
  leave(): Promise<LeftMessage>;
  /** Asks the server for a `pong`. */
  ping(): Promise<PongMessage>;
  /**
   * Relays `{type, ...payload}` to the other peers of the room, or to `to` only.
   * Returns false (and sends nothing) when the client is closed.
   */
  send(type: RelayType | string, payload?: object, options?: SendOptions): boolean;
  /** Ends the session for good: the room is told at once, no resume. */
  close(code?: number, reason?: string): void;
}

/** Connects to a parley server; resolves once the server's `welcome` arrived. */
export declare function connect(url: string, options?: ParleyOptions): Promise<ParleyClient>;

/** `wss://host/ws` on https pages, `ws://host/ws` on http ones. */
export declare function defaultUrl(where?: Location | URL): string;
