// call.js: the WebRTC side of the demo. One RTCPeerConnection per other peer of the
// room (a full mesh), negotiated with the "perfect negotiation" pattern so that either
// side may renegotiate at any time without two crossing offers breaking the call:
// of each pair, one peer is "polite" (it yields to an offer that crosses its own) and
// the other "impolite" (it ignores the crossing offer). Both sides derive the roles
// from the two peer ids, so they always agree without another message.
//
// Crossing offers are survivable but not free (Chromium sometimes gathers no ICE
// candidates after the polite side rolls its offer back), so the first offer of each
// pair comes from one side only: the newcomer calls the peers already in the room,
// and those answer, adding their camera and microphone to the answer.
//
// No DOM here: app.js turns the events of MeshCall into video tiles and status text.

/**
 * @typedef {Object} RemotePeer
 * @property {string} id
 * @property {RTCPeerConnection} pc
 * @property {boolean} polite
 * @property {MediaStream} stream       What this peer sends us.
 * @property {boolean} mediaAdded       Our tracks are on this connection.
 * @property {boolean} makingOffer      Between negotiationneeded and sending the offer.
 * @property {boolean} ignoreOffer      The impolite side dropped a colliding offer.
 */

export class MeshCall extends EventTarget {
  /**
   * @param {import('./parley.js').ParleyClient} client  Joined to a room.
   * @param {{localStream: MediaStream | null, iceServers: RTCIceServer[], debug?: boolean}} options
   *     `debug`: log every signal and state change to the console.
   */
  constructor(client, { localStream, iceServers, debug = false }) {
    super();
    this.debug = debug;
    this.client = client;
    this.localStream = localStream;
    this.iceServers = iceServers;
    /** @type {Map<string, RemotePeer>} */
    this.peers = new Map();
    this._closed = false;
  }

  /**
   * Starts (or keeps) a connection with `id`. With `initiate`, this side makes the
   * first offer; without, it waits for the other side's. Safe to call twice.
   * @param {string} id
   * @param {{initiate: boolean}} options
   */
  addPeer(id, { initiate }) {
    if (this._closed || id === this.client.id) return null;
    const existing = this.peers.get(id);
    if (existing) return existing;

    const pc = new RTCPeerConnection({ iceServers: this.iceServers });
    /** @type {RemotePeer} */
    const peer = {
      id,
      pc,
      polite: this.client.id < id,
      stream: new MediaStream(),
      mediaAdded: false,
      makingOffer: false,
      ignoreOffer: false,
    };
    this.peers.set(id, peer);

    pc.onnegotiationneeded = async () => {
      try {
        peer.makingOffer = true;
        await pc.setLocalDescription();
        const { type, sdp } = pc.localDescription;
        this._log(`-> ${type} to ${id}`);
        this.client.send(type, { sdp }, { to: id });
      } catch (err) {
        this._report(peer, 'could not make an offer', err);
      } finally {
        peer.makingOffer = false;
      }
    };
    pc.onicecandidate = ({ candidate }) => {
      // null marks the end of this generation's candidates; the protocol relays it too.
      this._log(`-> candidate to ${id}`, candidate?.candidate ?? null);
      this.client.send(
        'candidate',
        { candidate: candidate ? candidate.toJSON() : null },
        { to: id },
      );
    };
    pc.ontrack = ({ track }) => {
      peer.stream.addTrack(track);
      track.onunmute = () => this._changed(peer);
      track.onended = () => peer.stream.removeTrack(track);
      this._changed(peer);
    };
    pc.onconnectionstatechange = () => {
      this._log(`connection with ${id}: ${pc.connectionState}`);
      this._restartIceIfFailed(peer);
      this._changed(peer);
    };
    pc.oniceconnectionstatechange = () => this._restartIceIfFailed(peer);

    if (initiate) this._addLocalMedia(peer, { receiveMissing: true });
    this.dispatchEvent(new CustomEvent('peer-added', { detail: peer }));
    return peer;
  }

  /**
   * Puts our camera and microphone on the connection. The side that offers first also
   * asks to receive the kinds it has no track for; the answering side's tracks take
   * over the transceivers of that offer (addTrack reuses them), so answering needs no
   * second round.
   */
  _addLocalMedia(peer, { receiveMissing }) {
    peer.mediaAdded = true;
    const tracks = this.localStream ? this.localStream.getTracks() : [];
    for (const track of tracks) peer.pc.addTrack(track, this.localStream);
    if (!receiveMissing) return;
    for (const kind of ['audio', 'video']) {
      if (!tracks.some((t) => t.kind === kind))
        peer.pc.addTransceiver(kind, { direction: 'recvonly' });
    }
  }

  /**
   * An ICE failure is repaired by a new offer with fresh ICE credentials. Only the
   * impolite side starts it, so that the two sides do not both restart at once.
   */
  _restartIceIfFailed(peer) {
    const { pc } = peer;
    const failed = pc.connectionState === 'failed' || pc.iceConnectionState === 'failed';
    if (failed && !peer.polite) {
      this._log(`restarting ICE with ${peer.id}`);
      pc.restartIce();
    }
  }

  /** Ends the connection with `id` (it left the room). */
  removePeer(id) {
    const peer = this.peers.get(id);
    if (!peer) return;
    this.peers.delete(id);
    peer.pc.close();
    this.dispatchEvent(new CustomEvent('peer-removed', { detail: peer }));
  }

  /**
   * Handles a relayed `offer`, `answer` or `candidate`.
   * @param {import('./parley.js').RelayedMessage} message
   */
  async handleSignal(message) {
    if (this._closed) return;
    this._log(`<- ${message.type} from ${message.from}`, message.candidate ?? '');
    // A signal may come before the news of its sender's join has been handled.
    const peer = this.peers.get(message.from) ?? this.addPeer(message.from, { initiate: false });
    if (!peer) return;
    const { pc } = peer;
    try {
      if (message.type === 'offer' || message.type === 'answer') {
        const offerCollision =
          message.type === 'offer' && (peer.makingOffer || pc.signalingState !== 'stable');
        peer.ignoreOffer = !peer.polite && offerCollision;
        if (peer.ignoreOffer) {
          this._log(`ignoring a colliding offer from ${peer.id}`);
          return;
        }
        // For the polite side this rolls its own offer back first, implicitly.
        await pc.setRemoteDescription({ type: message.type, sdp: message.sdp });
        if (message.type === 'offer') {
          if (!peer.mediaAdded) this._addLocalMedia(peer, { receiveMissing: false });
          await pc.setLocalDescription();
          this._log(`-> answer to ${peer.id}`);
          this.client.send('answer', { sdp: pc.localDescription.sdp }, { to: peer.id });
        }
      } else if (message.type === 'candidate') {
        try {
          const { candidate } = message;
          // The protocol lets a candidate be a bare string too (other clients send that).
          await pc.addIceCandidate(
            typeof candidate === 'string'
              ? { candidate, sdpMLineIndex: 0 }
              : (candidate ?? undefined),
          );
        } catch (err) {
          // Candidates of an offer that the impolite side ignored fail on purpose.
          if (!peer.ignoreOffer) throw err;
        }
      }
    } catch (err) {
      this._report(peer, `could not apply ${message.type}`, err);
    }
  }

  /**
   * Makes the peers match `ids`, who are in the room now (after a resume). A peer that
   * joined meanwhile has called us already: its offer is among the messages that the
   * server kept for us, so we wait for it.
   */
  syncPeers(ids) {
    const wanted = new Set(ids);
    for (const id of [...this.peers.keys()]) if (!wanted.has(id)) this.removePeer(id);
    for (const id of ids) this.addPeer(id, { initiate: false });
    // Signaling was down for a while; a connection that is not up may have missed an
    // offer or candidates, so its impolite side restarts ICE.
    for (const peer of this.peers.values()) {
      const { connectionState } = peer.pc;
      if (
        !peer.polite &&
        peer.mediaAdded &&
        connectionState !== 'connected' &&
        connectionState !== 'new'
      ) {
        peer.pc.restartIce();
      }
    }
  }

  /** Closes every connection. */
  close() {
    this._closed = true;
    for (const id of [...this.peers.keys()]) this.removePeer(id);
  }

  _changed(peer) {
    if (!this.peers.has(peer.id)) return;
    this.dispatchEvent(new CustomEvent('peer-changed', { detail: peer }));
  }

  _log(...args) {
    if (this.debug) console.debug('parley call:', ...args);
  }

  _report(peer, what, err) {
    console.warn(`parley demo: ${what} for peer ${peer.id}:`, err);
  }
}
