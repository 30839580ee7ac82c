// A native session: what one `/ws` client says, checked and turned into room
// directory calls, and what the directory delivers, turned into frames. Its
// state is touched only on the connection's strand; the directory reaches it
// through its PeerLink inbox, which drains on that strand.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "dialects/native/protocol.hpp"
#include "net/ws_transport.hpp"
#include "ops/server_context.hpp"
#include "policy/jwt.hpp"
#include "policy/rate_limiter.hpp"
#include "rooms/events.hpp"
#include "rooms/peer_link.hpp"
#include "rooms/room_directory.hpp"

namespace parley {

class NativeSession final : public WsHandler,
                            public PeerLink::Handler,
                            public std::enable_shared_from_this<NativeSession> {
 public:
  NativeSession(ServerContext& context, std::shared_ptr<const Config> config);

  // WsHandler (strand)
  void on_open(WsTransport& transport) override;
  void on_message(std::string_view text) override;
  void on_closed(CloseKind kind) override;

  // PeerLink::Handler
  void on_events(std::vector<Event>& batch) override;
  std::vector<SharedMessage> take_unsent() override;
  void superseded() override;

 private:
  // The directory's handle on this session: shares its ownership.
  std::shared_ptr<PeerLink> link() { return {shared_from_this(), &link_}; }
  // Runs `f` on the strand: inline when called there (the in-process
  // directory's completions), else posted. `f` keeps the session alive.
  template <class F>
  void on_strand(F&& f);

  void handle(const ClientMessage& message, std::string_view text);
  std::optional<JoinGrants> authorize(const ClientMessage& message);
  void handle_join(const ClientMessage& message);
  void answer_join(const std::string& room, const std::optional<nlohmann::json>& rid,
                   const RoomDirectory::JoinResult& result);
  void handle_update_meta(const ClientMessage& message);
  void handle_watch(const ClientMessage& message);
  void handle_unwatch(const ClientMessage& message);
  void handle_leave(const ClientMessage& message);
  void handle_relay(const ClientMessage& message, std::string_view text);
  void handle_resume(const ClientMessage& message);
  void answer_resume(const std::optional<nlohmann::json>& rid,
                     std::optional<RoomDirectory::Resumed>& resumed);
  void send_error(ErrorCode code, std::string_view message,
                  const std::optional<nlohmann::json>& rid);
  void send(std::string text) {
    transport_->send(std::make_shared<const std::string>(std::move(text)), false);
  }
  // A relayed message, in the native encoding shared by every native receiver.
  void send_relayed(const SharedMessage& message);
  // Gives the directory what this taken-over connection had not written: what
  // the transport still queues, then the relays still in the inbox. Once only.
  void hand_over(std::vector<SharedText> unsent);

  ServerContext& context_;
  std::shared_ptr<const Config> config_;
  RateLimiter rate_limiter_;
  PeerLink link_{*this, /*resumable=*/true};
  WsTransport* transport_ = nullptr;  // valid from on_open until on_closed (strand only)
  std::string id_;
  bool first_message_ = true;
  // Set (under the directory's lock) when a resume on another connection took
  // this peer over: from then on this connection speaks for nobody.
  std::atomic<bool> superseded_{false};
  bool handed_over_ = false;  // strand only
};

}  // namespace parley
