// app.js: the demo page. Wires the signaling client (parley.js) and the WebRTC mesh
// (call.js) to the DOM: lobby, camera preview, one video tile per other peer, the
// controls, and the status shown to people and to tests.
//
// Test hooks (kept stable; docs/browser.md): `/?room=NAME&autostart=1` joins at once;
// [data-testid=status] holds exactly one keyword (see computeStatus below); every
// remote <video> carries data-testid="remote-video" and data-peer="<peer id>".
//
// Beyond the contract (docs/browser.md "The demo page"): `&name=Ada` is this peer's
// display name, sent as its metadata and shown on the others' tiles
// ([data-testid=peer-name]); the lobby watches the chosen room and lists who is in
// it ([data-testid=lobby-peers]); `&token=JWT` is the join token on a server with
// auth on, and a token whose `relay` grant leaves out `offer` makes the page a
// viewer: no camera, it answers the others' offers and watches the room.

import { ParleyClient, defaultUrl } from './parley.js';
import { MeshCall } from './call.js';

const params = new URLSearchParams(location.search);
const token = params.get('token') ?? undefined;

/** The claims of a JWT, read without checking it (the server checks it). */
function tokenClaims(jwt) {
  try {
    const part = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(part), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return {};
  }
}
const claims = token ? tokenClaims(token) : {};
/** A viewer may not send offers: it receives the others' media and sends none. */
const viewer = Array.isArray(claims.relay) && !claims.relay.includes('offer');
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
const ui = {
  status: $('status'),
  statusText: $('status-text'),
  roomInfo: $('room-info'),
  roomName: $('room-name'),
  lobby: /** @type {HTMLFormElement} */ ($('lobby')),
  roomInput: /** @type {HTMLInputElement} */ ($('room-input')),
  emptyRoom: $('empty-room'),
  shareLink: $('share-link'),
  copyLink: $('copy-link'),
  tiles: $('tiles'),
  selfView: $('self-view'),
  localVideo: /** @type {HTMLVideoElement} */ ($('local-video')),
  controls: $('controls'),
  micButton: $('mic-button'),
  cameraButton: $('camera-button'),
  soundButton: $('sound-button'),
  hangupButton: $('hangup-button'),
  afterCall: $('after-call'),
  afterCallText: $('after-call-text'),
  rejoinButton: $('rejoin-button'),
  otherRoomButton: $('other-room-button'),
  nameInput: /** @type {HTMLInputElement} */ ($('name-input')),
  lobbyPresence: $('lobby-presence'),
  lobbyPresenceLabel: $('lobby-presence-label'),
  lobbyPeers: $('lobby-peers'),
  selfCaption: $('self-caption'),
  stage: $('stage'),
};

/**
 * Where the page is: `lobby` (choosing a room), `starting` (camera, server, join),
 * `in-room`, `full`, or `ended` (hung up, removed, or disconnected for good).
 * @typedef {'lobby' | 'starting' | 'in-room' | 'full' | 'ended'} Phase
 */
const state = {
  /** @type {Phase} */
  phase: 'lobby',
  room: '',
  /** Why the call ended, for the sentence shown then. */
  endReason: '',
  /** Counts calls started, so that a superseded start-up stops. */
  attempt: 0,
  /** A sentence about the start-up step in progress. */
  startStep: '',
  /** A note that stays visible next to the status (missing camera, errors). */
  note: '',
  /** @type {ParleyClient | null} */
  client: null,
  /** @type {MeshCall | null} */
  call: null,
  /** @type {MediaStream | null} */
  localStream: null,
  /** Remote videos could only start muted (autoplay policy); a click turns sound on. */
  soundBlocked: false,
  /** @type {Map<string, {tile: HTMLElement, video: HTMLVideoElement, label: HTMLElement, hasFrames: boolean}>} */
  tiles: new Map(),
  /** This peer's display name (`?name=`, or typed in the lobby). */
  name: (params.get('name') ?? '').trim(),
  /** True when the join token makes this page a viewer (see above). */
  viewer,
  /** The connection that watches the room chosen in the lobby, and what it saw. */
  /** @type {ParleyClient | null} */
  lobbyClient: null,
  lobbyRoom: '',
  /** @type {{peers: string[], meta: Object<string, any>} | null} */
  presence: null,
  /** Error codes the server sent that answered no request (for people and tests). */
  /** @type {string[]} */
  errors: [],
};

// Lets a developer poke at the call from the console; nothing depends on it.
/** @type {any} */ (window).parleyDemo = state;

// ------------------------------------------------------------------- status

/**
 * The keyword of [data-testid=status]: exactly one of waiting, connecting, connected,
 * full, reconnecting, left (their meanings are fixed: docs/browser.md, "The demo page").
 * @returns {'waiting' | 'connecting' | 'connected' | 'full' | 'reconnecting' | 'left'}
 */
function computeStatus() {
  switch (state.phase) {
    case 'lobby':
    case 'ended':
      return 'left';
    case 'full':
      return 'full';
    case 'starting':
      return state.client?.state === 'reconnecting' ? 'reconnecting' : 'connecting';
    case 'in-room': {
      if (state.client?.state === 'reconnecting') return 'reconnecting';
      const peers = [...(state.call?.peers.values() ?? [])];
      if (peers.length === 0) return 'waiting';
      return peers.every(mediaFlowing) ? 'connected' : 'connecting';
    }
  }
  return 'left';
}

/**
 * Media flows with `peer` when its connection is up and, if it sends video, frames of
 * it have arrived. (A remote track's `muted` flag is not used: Chromium can leave it
 * set after a rolled-back offer although packets arrive.)
 */
function mediaFlowing(peer) {
  if (peer.pc.connectionState !== 'connected') return false;
  const sendsVideo = peer.pc
    .getTransceivers()
    .some(
      (t) =>
        t.receiver.track.kind === 'video' &&
        (t.currentDirection === 'sendrecv' || t.currentDirection === 'recvonly'),
    );
  if (!sendsVideo) return true; // audio only, or nothing: the connection is the call
  return state.tiles.get(peer.id)?.hasFrames ?? false;
}

function plural(n, one, many) {
  return n === 1 ? one : many;
}

/** The sentence for people that goes with the keyword. */
function statusSentence(keyword) {
  const others = state.call?.peers.size ?? 0;
  switch (keyword) {
    case 'waiting':
      return `You are in room “${state.room}”. Waiting for someone to join…`;
    case 'connecting':
      if (state.phase === 'starting') return state.startStep || 'Connecting…';
      return `Connecting to ${others} ${plural(others, 'person', 'people')}…`;
    case 'connected':
      return `In a call with ${others} ${plural(others, 'person', 'people')}.`;
    case 'full':
      return `Room “${state.room}” is full. Try again later, or pick another room.`;
    case 'reconnecting':
      return 'Lost the connection to the server. Reconnecting… (the call goes on meanwhile)';
    case 'left':
      if (state.phase === 'lobby') return 'Pick a room to start or join a call.';
      return state.endReason || 'You left the call.';
  }
  return '';
}

function render() {
  const keyword = computeStatus();
  if (ui.status.textContent !== keyword) {
    ui.status.textContent = keyword;
    ui.status.dataset.state = keyword;
  }
  const sentence = statusSentence(keyword) + (state.note ? ` ${state.note}` : '');
  if (ui.statusText.textContent !== sentence) ui.statusText.textContent = sentence;

  const inCall = state.phase === 'in-room' || state.phase === 'starting';
  ui.lobby.hidden = state.phase !== 'lobby';
  ui.controls.hidden = !inCall;
  ui.selfView.hidden = !inCall || !state.localStream;
  ui.roomInfo.hidden = state.phase === 'lobby';
  ui.roomName.textContent = state.room;
  ui.emptyRoom.hidden = !(state.phase === 'in-room' && keyword === 'waiting');
  ui.afterCall.hidden = !(state.phase === 'ended' || state.phase === 'full');
  ui.afterCallText.textContent = state.phase === 'full' ? 'This room is full' : 'Call ended';
  ui.soundButton.hidden = !state.soundBlocked;
  document.body.dataset.phase = state.phase;
  const tileCount = state.tiles.size;
  ui.tiles.dataset.count = String(tileCount);
  // A grid as square as possible on wide screens; on phones one column, up to three.
  ui.tiles.style.setProperty('--cols', String(Math.max(1, Math.ceil(Math.sqrt(tileCount)))));
  ui.tiles.style.setProperty('--phone-cols', tileCount <= 3 ? '1' : '2');

  for (const [id, tile] of state.tiles) {
    const peer = state.call?.peers.get(id);
    const flowing = peer ? mediaFlowing(peer) : false;
    tile.tile.classList.toggle('is-live', flowing);
    setText(tile.name, displayName(id));
    setText(tile.detail, flowing ? '' : ' · connecting…');
  }
  setText(ui.selfCaption, state.name ? `You (${state.name})` : 'You');
  renderPresence();
}

function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}

/** A peer's name from its metadata, or a short form of its id. */
function displayName(id, meta = state.client?.peerMeta[id]) {
  const name = typeof meta?.name === 'string' ? meta.name.trim() : '';
  const label = name || `Peer ${id.slice(0, 6)}`;
  return meta?.role === 'viewer' ? `${label} (viewer)` : label;
}

/** The lobby's list of who is in the chosen room (or, for a viewer, the room it is in). */
function renderPresence() {
  const presence = state.presence;
  const show = presence !== null && (state.phase === 'lobby' || state.viewer);
  ui.lobbyPresence.hidden = !show;
  if (!show) return;
  // In the lobby the list sits in its form; a viewer in a room sees it above the tiles.
  if (state.phase === 'lobby') {
    if (ui.lobbyPresence.parentElement !== ui.lobby) ui.lobby.append(ui.lobbyPresence);
  } else if (ui.lobbyPresence.parentElement !== ui.stage) {
    ui.stage.prepend(ui.lobbyPresence);
  }
  const names = presence.peers.map((id) => displayName(id, presence.meta[id]));
  setText(ui.lobbyPresenceLabel, names.length ? 'In this room now:' : 'Nobody is in this room yet.');
  if (ui.lobbyPeers.dataset.names === JSON.stringify(names)) return;
  ui.lobbyPeers.dataset.names = JSON.stringify(names);
  ui.lobbyPeers.replaceChildren(
    ...names.map((name) => {
      const li = document.createElement('li');
      li.textContent = name;
      return li;
    }),
  );
}

// -------------------------------------------------------------- video tiles

function addTile(peer) {
  if (state.tiles.has(peer.id)) return;
  const tile = document.createElement('figure');
  tile.className = 'tile';
  const video = document.createElement('video');
  video.dataset.testid = 'remote-video';
  video.dataset.peer = peer.id;
  video.autoplay = true;
  video.playsInline = true;
  video.muted = state.soundBlocked;
  const label = document.createElement('figcaption');
  const name = document.createElement('span');
  name.dataset.testid = 'peer-name';
  name.dataset.peer = peer.id;
  const detail = document.createElement('span');
  label.append(name, detail);
  tile.append(video, label);
  ui.tiles.append(tile);

  const entry = { tile, video, label, name, detail, hasFrames: false };
  state.tiles.set(peer.id, entry);
  const sawFrame = () => {
    if (video.videoWidth > 0 && !entry.hasFrames) {
      entry.hasFrames = true;
      render();
    }
  };
  video.addEventListener('loadeddata', sawFrame);
  video.addEventListener('resize', sawFrame);
  attachStream(entry, peer.stream);
}

function attachStream(entry, stream) {
  if (entry.video.srcObject === stream) return;
  entry.video.srcObject = stream;
  playVideo(entry.video);
}

/** Starts a remote video; with sound if the browser allows it, else muted. */
function playVideo(video) {
  video.play().catch((err) => {
    if (err.name !== 'NotAllowedError' || video.muted) return;
    // Autoplay policy: sound needs a click on this page first. Start muted so the
    // picture plays, and offer a button that turns sound on.
    video.muted = true;
    state.soundBlocked = true;
    video.play().catch(() => {});
    render();
  });
}

function removeTile(id) {
  const entry = state.tiles.get(id);
  if (!entry) return;
  entry.video.srcObject = null;
  entry.tile.remove();
  state.tiles.delete(id);
}

// ------------------------------------------------------------ local media

/** Camera and microphone, or whichever of them works, or nothing (receive only). */
async function openLocalMedia() {
  const video = { width: { ideal: 1280 }, height: { ideal: 720 }, facingMode: 'user' };
  const attempts = [
    { constraints: { video, audio: true }, note: '' },
    { constraints: { audio: true }, note: 'No camera: the others hear you but cannot see you.' },
    { constraints: { video }, note: 'No microphone: the others see you but cannot hear you.' },
  ];
  if (!navigator.mediaDevices?.getUserMedia) {
    state.note = 'This page needs https (or localhost) to use the camera; you can only watch.';
    return null;
  }
  for (const { constraints, note } of attempts) {
    try {
      const stream = await navigator.mediaDevices.getUserMedia(constraints);
      state.note = note;
      return stream;
    } catch {
      // try the next, smaller set
    }
  }
  state.note = 'Camera and microphone are blocked: you can watch and listen only.';
  return null;
}

function stopLocalMedia() {
  for (const track of state.localStream?.getTracks() ?? []) track.stop();
  state.localStream = null;
  ui.localVideo.srcObject = null;
}

function updateMediaButtons() {
  const audio = state.localStream?.getAudioTracks()[0];
  const video = state.localStream?.getVideoTracks()[0];
  setToggle(ui.micButton, audio, 'Mute', 'Unmute');
  setToggle(ui.cameraButton, video, 'Stop video', 'Start video');
}

function setToggle(button, track, onLabel, offLabel) {
  button.disabled = !track;
  const off = !track || !track.enabled;
  button.setAttribute('aria-pressed', String(off));
  button.querySelector('span').textContent = off ? offLabel : onLabel;
}

function toggleTrack(track) {
  if (!track) return;
  // A disabled track keeps its sender, so turning it back on needs no renegotiation.
  track.enabled = !track.enabled;
  updateMediaButtons();
}

// -------------------------------------------------------------------- call

async function startCall(room) {
  // Hanging up while the camera starts must not be undone when it has started.
  const attempt = ++state.attempt;
  state.room = room;
  state.phase = 'starting';
  state.endReason = '';
  state.note = '';
  updateUrl(room);
  stopWatchingLobby();

  if (state.viewer) {
    state.note = 'You are a viewer: you see and hear the others, they do not see you.';
  } else if (!state.localStream) {
    state.startStep = 'Starting camera and microphone…';
    render();
    const stream = await openLocalMedia();
    if (attempt !== state.attempt || state.phase !== 'starting') {
      for (const track of stream?.getTracks() ?? []) track.stop();
      return;
    }
    state.localStream = stream;
    ui.localVideo.srcObject = stream;
    updateMediaButtons();
  }

  state.startStep = 'Connecting to the server…';
  render();
  const client = new ParleyClient(defaultUrl());
  state.client = client;
  wireClient(client);
  try {
    await client.connect();
  } catch {
    if (state.client === client)
      endCall('Cannot reach the server. Check your connection and try again.');
    return;
  }
  await joinRoom(client);
}

async function joinRoom(client) {
  state.phase = 'starting';
  state.startStep = `Joining room “${state.room}”…`;
  render();
  let joined;
  try {
    const meta = {};
    if (state.name) meta.name = state.name;
    if (state.viewer) meta.role = 'viewer';
    joined = await client.join(state.room, { token, meta });
  } catch (err) {
    if (state.client !== client) return;
    // The connection dropped under the join: the `resumed` or `resume-failed`
    // handler joins again once the session is back.
    if (err.code === 'connection-lost' || err.code === 'resume-failed') return;
    if (err.code === 'full') {
      state.phase = 'full';
      releaseClient();
      stopLocalMedia();
      render();
      return;
    }
    endCall(`Could not join: ${err.message}.`);
    return;
  }
  if (state.client !== client) return;

  const call = new MeshCall(client, {
    localStream: state.localStream,
    iceServers: joined.iceServers ?? [],
    debug: params.has('debug'),
  });
  state.call = call;
  /** @param {(peer: import('./call.js').RemotePeer) => void} handler */
  const onPeer = (handler) => (/** @type {any} */ event) => handler(event.detail);
  call.addEventListener(
    'peer-added',
    onPeer((detail) => {
      addTile(detail);
      render();
    }),
  );
  call.addEventListener(
    'peer-removed',
    onPeer((detail) => {
      removeTile(detail.id);
      render();
    }),
  );
  call.addEventListener(
    'peer-changed',
    onPeer((detail) => {
      const entry = state.tiles.get(detail.id);
      if (entry) attachStream(entry, detail.stream);
      render();
    }),
  );
  state.phase = 'in-room';
  // The newcomer calls everyone already there (see call.js); a viewer may not make
  // offers, so it waits for theirs, and two viewers have nothing to exchange.
  for (const id of joined.peers) {
    if (isViewer(joined.meta?.[id]) && state.viewer) continue;
    call.addPeer(id, { initiate: !state.viewer });
  }
  if (state.viewer) watchRoom(client, state.room);
  render();
}

function isViewer(meta) {
  return meta?.role === 'viewer';
}

/** Watches `room` on `client` and keeps `state.presence` in step with it. */
async function watchRoom(client, room) {
  try {
    const watching = await client.watch(room, { token });
    if (state.client !== client && state.lobbyClient !== client) return;
    state.presence = { peers: watching.peers, meta: watching.meta };
    render();
  } catch (err) {
    console.warn(`parley demo: cannot watch room ${room}: ${err.code}`);
  }
}

function wireClient(client) {
  const mine = (handler) => (event) => {
    if (state.client === client) handler(event);
  };
  client.on(
    'peer-joined',
    mine(({ room, id, meta }) => {
      if (room !== client.room) return; // a watched room's presence: see 'presence'
      // A viewer cannot offer, so the peers with media call it.
      if (isViewer(meta)) {
        if (!state.viewer) state.call?.addPeer(id, { initiate: true });
      } else {
        state.call?.addPeer(id, { initiate: false });
      }
      render();
    }),
  );
  client.on(
    'peer-updated',
    mine(() => render()),
  );
  client.on(
    'presence',
    mine(({ peers, meta }) => {
      state.presence = { peers, meta };
      render();
    }),
  );
  client.on(
    'peer-left',
    mine(({ room, id }) => {
      if (room === client.room) state.call?.removePeer(id);
    }),
  );
  for (const type of ['offer', 'answer', 'candidate']) {
    client.on(
      type,
      mine((message) => state.call?.handleSignal(message)),
    );
  }
  client.on(
    'state',
    mine(() => render()),
  );
  client.on(
    'resumed',
    mine(({ room, peers }) => {
      if (state.phase === 'starting') {
        // A join was cut off by the drop; it may or may not have happened. Make sure
        // of a fresh `joined` (it carries the ICE servers).
        if (room === null) joinRoom(client);
        else
          client
            .leave()
            .catch(() => {})
            .finally(() => joinRoom(client));
        return;
      }
      if (room === null) {
        // Removed from the room while away.
        if (state.phase === 'in-room') endCall('You were removed from the room.');
        return;
      }
      state.call?.syncPeers(peers);
      render();
    }),
  );
  client.on(
    'resume-failed',
    mine(() => {
      // The server no longer knows the old session: the others saw us leave. Start over
      // in the same room with the new peer id.
      if (state.phase !== 'in-room' && state.phase !== 'starting') return;
      closeCall();
      joinRoom(client);
    }),
  );
  client.on(
    'left',
    mine(({ reason }) => {
      if (state.phase !== 'in-room') return;
      endCall(reason === 'kicked' ? 'You were removed from the room.' : 'You left the call.');
    }),
  );
  client.on(
    'close',
    mine(({ byClient }) => {
      if (!byClient) endCall('Disconnected from the server.');
    }),
  );
  client.on(
    'error',
    mine(({ code, message }) => {
      state.errors.push(code);
      console.warn(`parley demo: server error ${code}: ${message}`);
    }),
  );
}

function closeCall() {
  state.call?.close();
  state.call = null;
  for (const id of [...state.tiles.keys()]) removeTile(id);
}

function releaseClient() {
  const client = state.client;
  state.client = null;
  client?.close();
}

/** Leaves the room (if still in it) and ends the call, showing `reason`. */
function endCall(reason) {
  const client = state.client;
  const wasInRoom = state.phase === 'in-room';
  state.phase = 'ended';
  state.endReason = reason;
  closeCall();
  stopLocalMedia();
  state.client = null;
  render();
  if (!client) return;
  // `leave` tells the room at once and frees the seat; the close frame that follows
  // makes sure the server keeps nothing for a resume either way.
  if (wasInRoom && client.state === 'open') {
    client.leave().finally(() => client.close());
  } else {
    client.close();
  }
}

function hangUp() {
  endCall('You left the call.');
}

// ------------------------------------------------------------------- lobby

function updateUrl(room) {
  const url = new URL(location.href);
  url.searchParams.set('room', room);
  url.searchParams.delete('autostart');
  history.replaceState(null, '', url);
  ui.shareLink.textContent = url.href;
}

function randomRoomName() {
  const words = [
    'amber',
    'birch',
    'cedar',
    'delta',
    'ember',
    'fjord',
    'grove',
    'harbor',
    'iris',
    'juniper',
  ];
  const pick = () => words[Math.floor(Math.random() * words.length)];
  return `${pick()}-${pick()}-${Math.floor(100 + Math.random() * 900)}`;
}

function showLobby(room) {
  state.phase = 'lobby';
  ui.roomInput.value = room || randomRoomName();
  ui.nameInput.value = state.name;
  render();
  watchLobbyRoom();
}

/** In the lobby, a connection of its own watches the room in the room field. */
async function watchLobbyRoom() {
  const room = ui.roomInput.value.trim();
  if (state.phase !== 'lobby' || !room || room === state.lobbyRoom) return;
  let client = state.lobbyClient;
  if (!client) {
    client = new ParleyClient(defaultUrl());
    state.lobbyClient = client;
    client.on('presence', ({ room: watched, peers, meta }) => {
      if (state.lobbyClient !== client || watched !== state.lobbyRoom) return;
      state.presence = { peers, meta };
      render();
    });
    try {
      await client.connect();
    } catch {
      if (state.lobbyClient === client) state.lobbyClient = null;
      return; // no lobby list; joining still works (or says why not)
    }
  }
  if (state.lobbyClient !== client) return;
  const previous = state.lobbyRoom;
  state.lobbyRoom = room;
  state.presence = null;
  if (previous) client.unwatch(previous).catch(() => {});
  await watchRoom(client, room);
}

function stopWatchingLobby() {
  const client = state.lobbyClient;
  state.lobbyClient = null;
  state.lobbyRoom = '';
  state.presence = null;
  client?.close();
}

let lobbyTyping = null;
ui.roomInput.addEventListener('input', () => {
  clearTimeout(lobbyTyping);
  lobbyTyping = setTimeout(watchLobbyRoom, 300);
});
ui.nameInput.addEventListener('input', () => {
  state.name = ui.nameInput.value.trim();
});

ui.lobby.addEventListener('submit', (event) => {
  event.preventDefault();
  const room = ui.roomInput.value.trim();
  state.name = ui.nameInput.value.trim();
  if (room) startCall(room);
});
ui.micButton.addEventListener('click', () => toggleTrack(state.localStream?.getAudioTracks()[0]));
ui.cameraButton.addEventListener('click', () =>
  toggleTrack(state.localStream?.getVideoTracks()[0]),
);
ui.hangupButton.addEventListener('click', hangUp);
ui.soundButton.addEventListener('click', () => {
  state.soundBlocked = false;
  for (const { video } of state.tiles.values()) {
    video.muted = false;
    playVideo(video);
  }
  render();
});
ui.rejoinButton.addEventListener('click', () => startCall(state.room));
ui.otherRoomButton.addEventListener('click', () => showLobby(''));
ui.copyLink.addEventListener('click', async () => {
  try {
    await navigator.clipboard.writeText(ui.shareLink.textContent);
    ui.copyLink.textContent = 'Copied';
  } catch {
    // No clipboard (insecure context): the link stays selectable on screen.
    getSelection()?.selectAllChildren(ui.shareLink);
  }
});
// Chromium sends a close frame on its own when the tab goes away; leaving first
// tells the room the reason precisely.
window.addEventListener('pagehide', () => {
  if (state.phase === 'in-room') state.client?.send('leave');
});

const initialRoom = (params.get('room') ?? '').trim();
if (initialRoom && params.get('autostart') === '1') {
  startCall(initialRoom);
} else {
  showLobby(initialRoom);
}
