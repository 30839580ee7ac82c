// A protocol-v1 session: what one `/ws` client says, checked and turned into
// registry calls, and what the registry delivers, turned into frames. Its state
// is touched only on the connection's strand; PeerLink::deliver, the one entry
// from other threads, only appends to an inbox and schedules a drain there.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "policy/jwt.hpp"
#include "config/config.hpp"
#include "rooms/events.hpp"
#include "dialects/native/protocol.hpp"
#include "policy/rate_limiter.hpp"
#include "rooms/room_registry.hpp"
#include "net/server_context.hpp"
#include "net/ws_transport.hpp"

namespace parley {

class NativeSession final : public WsHandler,
                            public PeerLink,
                            public std::enable_shared_from_this<NativeSession> {
 public:
  NativeSession(ServerContext& context, std::shared_ptr<const Config> config);

  // WsHandler (strand)
  void on_open(WsTransport& transport) override;
  void on_message(std::string_view text) override;
  void on_closed(CloseKind kind) override;

  // PeerLink (under the registry's lock)
  void deliver(const Event& event) override;
  std::vector<SharedText> take_unsent() override;
  void superseded() override;

 private:
  void handle(const ClientMessage& message, std::string_view text);
  std::optional<JoinGrants> authorize(const ClientMessage& message);
  void handle_join(const ClientMessage& message);
  void handle_update_meta(const ClientMessage& message);
  void handle_watch(const ClientMessage& message);
  void handle_unwatch(const ClientMessage& message);
  void handle_leave(const ClientMessage& message);
  void handle_relay(const ClientMessage& message, std::string_view text);
  void handle_resume(const ClientMessage& message);
  void send_error(ErrorCode code, std::string_view message,
                  const std::optional<nlohmann::json>& rid);
  void send(std::string text) {
    transport_->send(std::make_shared<const std::string>(std::move(text)), false);
  }
  void drain_inbox();
  // Gives the registry what this taken-over connection had not written: `unsent`
  // from the transport, then the relays still in the inbox. Once only.
  void hand_over(std::vector<SharedText> unsent);

  ServerContext& context_;
  std::shared_ptr<const Config> config_;
  RateLimiter rate_limiter_;
  WsTransport* transport_ = nullptr;  // valid from on_open until on_closed (strand only)
  // The strand; set in on_open before the registry knows this session, never
  // changed, so deliver() may read it from any thread.
  boost::asio::any_io_executor executor_;
  std::string id_;
  bool first_message_ = true;
  // Set (under the registry's lock) when a resume on another connection took
  // this peer over: from then on this connection speaks for nobody.
  std::atomic<bool> superseded_{false};
  bool handed_over_ = false;  // strand only

  std::mutex inbox_mutex_;
  std::vector<Event> inbox_;
  bool drain_scheduled_ = false;
};

}  // namespace parley
