// One Engine.IO v4 connection of the socket.io dialect: its transport (HTTP
// long-polling, then maybe a WebSocket after the upgrade probe, or a WebSocket
// from the start), its heartbeat (server pings `2`, the client answers `3`),
// and its Socket.IO peer. The session holds the peer's PeerLink inbox.
//
// Threads: all state lives on the session's own strand. Polling requests arrive
// on their HTTP connections' strands and WebSocket messages on the socket's
// strand; both are posted here. The room directory delivers into the PeerLink
// inbox, which drains on this strand, as for the native session.
//
// Life: made by the endpoint (polling handshake, or an accepted WebSocket),
// listed in the endpoint's table under its sid until it finishes. It finishes
// once: client close, ping timeout, malformed input, slow consumer, drain.
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "config/config.hpp"
#include "dialects/socketio/socketio_http.hpp"
#include "dialects/socketio/socketio_peer.hpp"
#include "net/connection_lease.hpp"
#include "ops/server_context.hpp"
#include "rooms/events.hpp"
#include "rooms/peer_link.hpp"

namespace parley {

class SocketioWsLink;

class EngineioSession final : public PeerLink::Handler,
                              public Closable,
                              public SocketioPeerHost,
                              public std::enable_shared_from_this<EngineioSession> {
 public:
  enum class Start { polling, websocket };
  // `forget` removes the session from the endpoint's table; called once, on
  // the strand, when the session finishes. `slot` is the polling connection's
  // seat in the limiter (a WebSocket holds its own).
  EngineioSession(ServerContext& context, std::shared_ptr<const Config> config, std::string sid,
                  Start start, ConnectionLimiter::Slot slot,
                  std::function<void(const std::string&)> forget);
  ~EngineioSession() override;

  const std::string& sid() const { return sid_; }

  // Long-polling requests (any thread).
  void handshake(PollRequest request);               // the first GET: answered with the open packet
  void poll(PollRequest request);                    // GET: held until there are packets
  void post(PollRequest request, std::string body);  // POST: the client's packets

  // The first upgrade attempt of a polling session wins; any other (or any
  // on a WebSocket session) is refused. Any thread.
  bool claim_upgrade();

  // From SocketioWsLink, any thread.
  void websocket_opened(std::shared_ptr<SocketioWsLink> link);
  void websocket_message(const std::shared_ptr<SocketioWsLink>& link, std::string text);
  void websocket_closed(const std::shared_ptr<SocketioWsLink>& link, CloseKind kind);

  // The event loop has stopped for good (the server is being destroyed): lets go
  // of the directory, the pending request and the links without any I/O.
  void abandon();

  // PeerLink::Handler
  void on_events(std::vector<Event>& batch) override;
  std::vector<SharedMessage> take_unsent() override { return {}; }  // nothing is kept: no resume
  void superseded() override {}                                     // never resumed

  // Closable (any thread)
  void shutdown(unsigned short code) override;

  // SocketioPeerHost (strand)
  void send_packet(SharedText packet) override;
  void close_connection(unsigned short code, std::string_view reason) override;
  std::shared_ptr<PeerLink> peer_link() override;
  void discard_pending_events() override;
  void run_on_strand(std::function<void()> f) override;

 private:
  enum class Phase {
    polling,    // packets go out through GET answers
    upgrading,  // a WebSocket answered the probe; GETs are answered at once
    websocket,  // packets go out as WebSocket messages
    finished,
  };
  // How a finish treats the client.
  enum class Ending {
    client_closed,  // it closed (close packet or close frame): nothing more to say
    server_closed,  // a close of the server's own (`code`): the client is told
    lost,           // ping timeout or a dead socket: the connection is cut
  };

  template <class F>
  void on_strand(F&& f);

  // Opens the session's lease (the tracker that the drain closes, the
  // gauge); false (and the session finished) when the drain has begun already.
  bool register_for_drain();
  void handle_packet(const engineio::Packet& packet);
  void complete_upgrade();
  void give_up_probe();
  void schedule_flush();
  void flush();
  void answer_pending(std::string body);
  void schedule_ping();
  void on_ping_timer();
  void finish(Ending ending, unsigned short code, std::string_view reason);

  ServerContext& context_;
  std::shared_ptr<const Config> config_;
  const std::string sid_;
  std::function<void(const std::string&)> forget_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  std::optional<boost::asio::steady_timer> ping_timer_;  // reset by abandon()
  // The seat (a polling session's; given back on upgrade), the tracker entry,
  // the gauge count of a polling session, a live socket until the session ends.
  ConnectionLease lease_;
  std::atomic<bool> upgrade_claimed_;
  PeerLink link_{*this, /*resumable=*/false};

  // Strand only.
  SocketioPeer peer_;
  Phase phase_;
  Ending ending_ = Ending::client_closed;  // once finished
  std::optional<PollRequest> pending_get_;
  std::deque<SharedText> outbox_;  // polling: packets not yet sent in a GET answer
  std::size_t outbox_bytes_ = 0;
  bool flush_scheduled_ = false;
  bool awaiting_pong_ = false;
  std::uint64_t ping_generation_ = 0;          // a timer wait of an older generation is stale
  std::shared_ptr<SocketioWsLink> websocket_;  // the transport once upgraded (or from the start)
  std::shared_ptr<SocketioWsLink> probe_;      // a WebSocket being probed for the upgrade
};

}  // namespace parley
