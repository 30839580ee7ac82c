// The Socket.IO layer of a socket.io client: its namespace connection, the
// classic signaling events it emits (join, message, leave), and what the room
// directory delivers to it, turned into events (joined, otherjoin, full, leaved,
// bye, message, parley-error). It knows nothing of Engine.IO transports: the
// session that owns it (the host) carries packets both ways. Not thread-safe:
// every call comes from the owning session's strand.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "ops/server_context.hpp"
#include "policy/client_rules.hpp"
#include "policy/jwt.hpp"
#include "policy/rate_limiter.hpp"
#include "rooms/events.hpp"
#include "rooms/peer_link.hpp"
#include "rooms/room_directory.hpp"

namespace parley {

// What the peer needs from its Engine.IO session.
class SocketioPeerHost {
 public:
  virtual ~SocketioPeerHost() = default;
  // Queues a complete Engine.IO packet for the client.
  virtual void send_packet(SharedText packet) = 0;
  // Ends the whole connection with a WebSocket close code of protocol-v1
  // (1002 malformed packet, 1003 binary data, 1008 sustained rate abuse).
  virtual void close_connection(unsigned short code, std::string_view reason) = 0;
  // The directory's handle on this connection (open, sharing the session's
  // ownership).
  virtual std::shared_ptr<PeerLink> peer_link() = 0;
  // The peer left the directory but the connection stays (a Socket.IO
  // DISCONNECT): events delivered for it and not yet handed to on_event are
  // stale, since a later CONNECT makes a new peer on the same link.
  virtual void discard_pending_events() = 0;
  // Runs `f` on the session's strand (inline when called there), keeping the
  // session alive until it has run: how directory completions come back.
  virtual void run_on_strand(std::function<void()> f) = 0;
};

class SocketioPeer {
 public:
  SocketioPeer(ServerContext& context, std::shared_ptr<const Config> config,
               SocketioPeerHost& host);
  SocketioPeer(const SocketioPeer&) = delete;
  SocketioPeer& operator=(const SocketioPeer&) = delete;

  // The data of one Engine.IO `message` packet from the client (a Socket.IO
  // packet). Costs one token of the rate limiter.
  void on_message(std::string_view packet);
  // Something the directory delivered for this peer.
  void on_event(const Event& event);
  // The Engine.IO connection is gone: the peer leaves the directory (no resume
  // in this dialect: the room-mates learn of it at once).
  void on_connection_closed();

  // Connected to the default namespace, hence known to the directory.
  bool connected() const { return !id_.empty(); }
  // The peer id (native peers see the same); empty while not connected.
  const std::string& id() const { return id_; }

 private:
  void handle_connect(const std::optional<nlohmann::json>& auth);
  void handle_disconnect();
  // The acknowledgement of an event: `{ok: true, ...}` or `{ok: false, code}`,
  // sent when the client asked for one. Called once, on the strand.
  using Answer = std::function<void(nlohmann::json)>;
  // `arguments_text` is `arguments` as the client wrote it.
  void handle_event(const nlohmann::json& arguments, std::string_view arguments_text,
                    std::optional<std::uint64_t> ack_id);
  void handle_join(const nlohmann::json& arguments, Answer answer);
  void answer_join(const std::string& room, const RoomDirectory::JoinResult& result,
                   const Answer& answer);
  void handle_message(const nlohmann::json& arguments, std::string_view arguments_text,
                      Answer answer);
  void handle_leave(const nlohmann::json& arguments, Answer answer);
  void handle_update_meta(const nlohmann::json& arguments, Answer answer);
  void handle_watch(const nlohmann::json& arguments, Answer answer);
  void handle_unwatch(const nlohmann::json& arguments, Answer answer);
  // The grants of the connection's token for `room` (defaults when auth is off),
  // or nothing after telling the client `unauthorized`.
  std::optional<JoinGrants> authorize(const std::string& room);
  // Sends `parley-error` and returns the acknowledgement's `{ok: false, code}`.
  nlohmann::json fail(ErrorCode code, std::string_view message);
  std::string meta_rule() const;
  void send(std::string packet);

  ServerContext& context_;
  std::shared_ptr<const Config> config_;
  SocketioPeerHost& host_;
  RateLimiter rate_limiter_;
  std::string id_;
  std::optional<std::string> token_;  // from the CONNECT payload, checked at each join
};

}  // namespace parley
