#include "dialects/socketio/engineio_session.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/http/status.hpp>

#include "base/clock.hpp"
#include "dialects/socketio/socketio_packets.hpp"
#include "dialects/socketio/socketio_ws_link.hpp"

namespace parley {

namespace net = boost::asio;
namespace http = boost::beast::http;

namespace {

SharedText constant(std::string_view text) {
  return std::make_shared<const std::string>(text);
}

const SharedText& ping_packet() {
  static const SharedText packet = constant("2");
  return packet;
}

// "3" + the ping's data. Appended, not "3" + std::string&&, which GCC 12 at -O2
// warns about, falsely (-Wstringop-overflow, GCC bug 105651).
std::string pong_packet(std::string_view ping_data) {
  std::string packet = "3";
  packet.append(ping_data);
  return packet;
}

// The answer that completes a GET with nothing to say: a `noop`.
constexpr std::string_view kNoop = "6";
// The answer that tells a polling client the server closed the session.
constexpr std::string_view kClose = "1";

}  // namespace

EngineioSession::EngineioSession(ServerContext& context, std::shared_ptr<const Config> config,
                                 std::string sid, Start start, ConnectionLimiter::Slot slot,
                                 std::function<void(const std::string&)> forget)
    : context_(context),
      config_(std::move(config)),
      sid_(std::move(sid)),
      forget_(std::move(forget)),
      strand_(net::make_strand(context.ioc)),
      lease_(context, std::move(slot)),
      upgrade_claimed_(start == Start::websocket),
      peer_(context_, config_, *this),
      phase_(start == Start::polling ? Phase::polling : Phase::websocket) {
  ping_timer_.emplace(strand_);
}

EngineioSession::~EngineioSession() = default;

template <class F>
void EngineioSession::on_strand(F&& f) {
  net::post(strand_, [self = shared_from_this(), f = std::forward<F>(f)]() mutable { f(*self); });
}

bool EngineioSession::register_for_drain() {
  // A WebSocket counts itself (its transport's lease); a polling connection is
  // counted here, until it upgrades or ends.
  if (!lease_.opened())
    lease_.open(weak_from_this(), phase_ == Phase::polling ? ConnectionLease::Count::new_connection
                                                           : ConnectionLease::Count::none);
  // A session that opens while the drain begins may have missed it: it is either
  // in the tracker's list, or it sees the flag here.
  if (!context_.draining.load()) return true;
  finish(Ending::server_closed, 1001, "server going away");
  return false;
}

// --- long-polling -------------------------------------------------------------

void EngineioSession::handshake(PollRequest request) {
  on_strand([request = std::move(request)](EngineioSession& self) mutable {
    if (self.phase_ == Phase::finished)
      return request.answer_error(http::status::bad_request, engineio::HttpErrorCode::unknown_sid);
    const auto& config = *self.config_;
    std::string open = engineio::open_packet(
        self.sid_, /*offer_websocket_upgrade=*/true, config.heartbeat.ping_interval,
        config.heartbeat.ping_timeout, config.limits.max_message_bytes);
    self.context_.metrics.bytes_sent_total.fetch_add(open.size(), std::memory_order_relaxed);
    request.answer(http::status::ok, std::move(open));
    if (self.register_for_drain()) self.schedule_ping();
  });
}

void EngineioSession::poll(PollRequest request) {
  on_strand([request = std::move(request)](EngineioSession& self) mutable {
    switch (self.phase_) {
      case Phase::finished:
        return request.answer_error(http::status::bad_request,
                                    engineio::HttpErrorCode::unknown_sid);
      case Phase::websocket:
        return request.answer_error(http::status::bad_request, engineio::HttpErrorCode::bad_request,
                                    "the session moved to WebSocket");
      case Phase::polling:
      case Phase::upgrading:
        break;
    }
    // A client never has two GETs out; a second one means the first one's
    // connection is gone as far as the client knows, so it is the one to answer.
    if (self.pending_get_) self.answer_pending(std::string(kNoop));
    self.pending_get_ = std::move(request);
    if (!self.outbox_.empty())
      self.flush();
    else if (self.phase_ == Phase::upgrading)
      self.answer_pending(std::string(kNoop));  // the client is pausing this transport
  });
}

void EngineioSession::post(PollRequest request, std::string body) {
  on_strand([request = std::move(request), body = std::move(body)](EngineioSession& self) mutable {
    if (self.phase_ == Phase::finished)
      return request.answer_error(http::status::bad_request, engineio::HttpErrorCode::unknown_sid);
    if (self.phase_ == Phase::websocket)
      return request.answer_error(http::status::bad_request, engineio::HttpErrorCode::bad_request,
                                  "the session moved to WebSocket");
    self.context_.metrics.bytes_received_total.fetch_add(body.size(), std::memory_order_relaxed);
    // maxPayload bounds a whole batch (the client splits batches to fit it),
    // so a larger body holds a single packet over the message size limit.
    if (body.size() > self.config_->limits.max_message_bytes) {
      request.answer_error(http::status::payload_too_large, engineio::HttpErrorCode::bad_request,
                           "payload larger than maxPayload");
      return self.finish(Ending::server_closed, 1009, "message too big");
    }
    const auto parsed = engineio::parse_payload(body);
    if (parsed.error) {
      request.answer_error(http::status::bad_request, engineio::HttpErrorCode::bad_request,
                           "malformed payload");
      const bool binary = *parsed.error == engineio::ParseError::binary;
      return self.finish(Ending::server_closed, binary ? 1003 : 1002,
                         binary ? "binary packets are not supported" : "malformed packet");
    }
    for (const auto& packet : parsed.packets) {
      self.handle_packet(packet);
      if (self.phase_ == Phase::finished) break;
    }
    if (self.phase_ == Phase::finished && self.ending_ != Ending::client_closed)
      return request.answer_error(http::status::bad_request, engineio::HttpErrorCode::bad_request,
                                  "the session was closed");
    request.answer(http::status::ok, "ok");
  });
}

void EngineioSession::schedule_flush() {
  if (flush_scheduled_) return;
  flush_scheduled_ = true;
  // After the current handler: packets queued together leave in one answer.
  on_strand([](EngineioSession& self) {
    self.flush_scheduled_ = false;
    if (self.pending_get_ && !self.outbox_.empty() && self.phase_ != Phase::finished) self.flush();
  });
}

void EngineioSession::flush() {
  std::vector<SharedText> packets(std::make_move_iterator(outbox_.begin()),
                                  std::make_move_iterator(outbox_.end()));
  outbox_.clear();
  outbox_bytes_ = 0;
  answer_pending(engineio::encode_payload(packets));
}

void EngineioSession::answer_pending(std::string body) {
  context_.metrics.bytes_sent_total.fetch_add(body.size(), std::memory_order_relaxed);
  PollRequest request = std::move(*pending_get_);
  pending_get_.reset();
  request.answer(http::status::ok, std::move(body));
}

// --- WebSocket ------------------------------------------------------------------

bool EngineioSession::claim_upgrade() {
  return !upgrade_claimed_.exchange(true);
}

void EngineioSession::websocket_opened(std::shared_ptr<SocketioWsLink> link) {
  on_strand([link = std::move(link)](EngineioSession& self) mutable {
    if (self.phase_ == Phase::websocket && !self.websocket_ && !self.lease_.opened()) {
      // A direct WebSocket: this session was made for it just now.
      self.websocket_ = std::move(link);
      const auto& config = *self.config_;
      self.websocket_->send(std::make_shared<const std::string>(engineio::open_packet(
          self.sid_, /*offer_websocket_upgrade=*/false, config.heartbeat.ping_interval,
          config.heartbeat.ping_timeout, config.limits.max_message_bytes)));
      if (self.register_for_drain()) self.schedule_ping();
      return;
    }
    if (self.phase_ != Phase::polling || self.probe_) {
      link->close(1000, "this session cannot upgrade now");
      return;
    }
    self.probe_ = std::move(link);
  });
}

void EngineioSession::websocket_message(const std::shared_ptr<SocketioWsLink>& link,
                                        std::string text) {
  on_strand([link, text = std::move(text)](EngineioSession& self) {
    if (self.phase_ == Phase::finished) return;
    const auto parsed = engineio::parse_packet(text);
    if (link == self.websocket_) {
      if (!parsed.packet) {
        const bool binary = parsed.error == engineio::ParseError::binary;
        return self.close_connection(binary ? 1003 : 1002, binary
                                                               ? "binary packets are not supported"
                                                               : "malformed Engine.IO packet");
      }
      return self.handle_packet(*parsed.packet);
    }
    if (link != self.probe_) return;  // a probe that was given up already
    // The upgrade: `2probe` -> `3probe`, then the client pauses polling (its GET
    // is answered at once from now on) and sends `5` here.
    if (parsed.packet && parsed.packet->type == engineio::PacketType::ping &&
        parsed.packet->data == "probe" && self.phase_ == Phase::polling) {
      self.probe_->send(constant("3probe"));
      self.phase_ = Phase::upgrading;
      if (self.pending_get_) {
        if (!self.outbox_.empty())
          self.flush();
        else
          self.answer_pending(std::string(kNoop));
      }
      return;
    }
    if (parsed.packet && parsed.packet->type == engineio::PacketType::upgrade &&
        self.phase_ == Phase::upgrading)
      return self.complete_upgrade();
    self.give_up_probe();
  });
}

void EngineioSession::complete_upgrade() {
  websocket_ = std::move(probe_);
  phase_ = Phase::websocket;
  if (pending_get_) answer_pending(std::string(kNoop));
  for (auto& packet : outbox_) websocket_->send(std::move(packet));
  outbox_.clear();
  outbox_bytes_ = 0;
  // The WebSocket holds its own seat and counts itself from now on.
  lease_.give_back_seat();
  spdlog::debug("socket.io session upgraded to WebSocket");
}

void EngineioSession::give_up_probe() {
  probe_->close(1002, "unexpected packet during the upgrade probe");
  probe_.reset();
  if (phase_ == Phase::upgrading) phase_ = Phase::polling;
  upgrade_claimed_ = false;
}

void EngineioSession::websocket_closed(const std::shared_ptr<SocketioWsLink>& link,
                                       CloseKind kind) {
  on_strand([link, kind](EngineioSession& self) {
    if (link == self.websocket_) {
      self.websocket_.reset();  // closed already: nothing more goes to it
      self.finish(kind == CloseKind::lost ? Ending::lost : Ending::client_closed, 1000, {});
    } else if (link == self.probe_) {
      self.probe_.reset();
      if (self.phase_ == Phase::upgrading) self.phase_ = Phase::polling;
      self.upgrade_claimed_ = false;
    }
  });
}

// --- packets of either transport ------------------------------------------------

void EngineioSession::handle_packet(const engineio::Packet& packet) {
  switch (packet.type) {
    case engineio::PacketType::message:
      return peer_.on_message(packet.data);
    case engineio::PacketType::pong:
      if (std::exchange(awaiting_pong_, false)) schedule_ping();
      return;
    case engineio::PacketType::ping:
      // v4 clients do not ping (only the probe, handled above); answered anyway.
      return send_packet(std::make_shared<const std::string>(pong_packet(packet.data)));
    case engineio::PacketType::close:
      return finish(Ending::client_closed, 1000, {});
    case engineio::PacketType::upgrade:
    case engineio::PacketType::noop:
      return;  // nothing to do on a transport already in use
    case engineio::PacketType::open:
      break;
  }
  close_connection(1002, "a client may not send this Engine.IO packet type");
}

void EngineioSession::send_packet(SharedText packet) {
  switch (phase_) {
    case Phase::finished:
      return;
    case Phase::websocket:
      if (websocket_) websocket_->send(std::move(packet));
      return;
    case Phase::polling:
    case Phase::upgrading:
      break;
  }
  outbox_bytes_ += packet->size();
  outbox_.push_back(std::move(packet));
  if (outbox_bytes_ > config_->limits.max_send_queue_bytes) {
    context_.metrics.slow_consumer_closes_total.fetch_add(1, std::memory_order_relaxed);
    return close_connection(1013, "send queue overflow: the client polls too slowly");
  }
  if (pending_get_) schedule_flush();
}

void EngineioSession::close_connection(unsigned short code, std::string_view reason) {
  finish(Ending::server_closed, code, reason);
}

// --- heartbeat ------------------------------------------------------------------

void EngineioSession::schedule_ping() {
  if (phase_ == Phase::finished || !ping_timer_) return;
  awaiting_pong_ = false;
  const auto generation = ++ping_generation_;
  ping_timer_->expires_after(seconds(config_->heartbeat.ping_interval));
  ping_timer_->async_wait([weak = weak_from_this(), generation](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self || generation != self->ping_generation_) return;
    self->on_ping_timer();
  });
}

void EngineioSession::on_ping_timer() {
  if (phase_ == Phase::finished) return;
  if (awaiting_pong_) {
    spdlog::debug("socket.io session: ping timeout");
    return finish(Ending::lost, 1000, "ping timeout");
  }
  send_packet(ping_packet());
  if (phase_ == Phase::finished) return;
  awaiting_pong_ = true;
  const auto generation = ++ping_generation_;
  ping_timer_->expires_after(seconds(config_->heartbeat.ping_timeout));
  ping_timer_->async_wait([weak = weak_from_this(), generation](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self || generation != self->ping_generation_) return;
    self->on_ping_timer();
  });
}

// --- the end ----------------------------------------------------------------------

void EngineioSession::shutdown(unsigned short code) {
  on_strand([code](EngineioSession& self) {
    self.finish(Ending::server_closed, code,
                code == 1012 ? "service restart" : "server going away");
  });
}

void EngineioSession::finish(Ending ending, unsigned short code, std::string_view reason) {
  if (phase_ == Phase::finished) return;
  phase_ = Phase::finished;
  ending_ = ending;
  ++ping_generation_;
  if (ping_timer_) ping_timer_->cancel();
  peer_.on_connection_closed();
  discard_pending_events();

  if (pending_get_) answer_pending(std::string(ending == Ending::client_closed ? kNoop : kClose));
  outbox_.clear();
  outbox_bytes_ = 0;
  if (websocket_) {
    if (ending == Ending::lost)
      websocket_->drop();
    else
      websocket_->close(ending == Ending::server_closed ? code : 1000, std::string(reason));
  }
  if (probe_) probe_->close(1000, "the session ended");
  websocket_.reset();  // the links keep this session until their sockets close
  probe_.reset();
  lease_.release();
  forget_(sid_);
}

void EngineioSession::abandon() {
  // No thread runs the event loop any more, so the strand's state is ours.
  if (phase_ != Phase::finished) {
    phase_ = Phase::finished;
    peer_.on_connection_closed();
    lease_.release();
  }
  pending_get_.reset();
  outbox_.clear();
  websocket_.reset();
  probe_.reset();
  ping_timer_.reset();
  discard_pending_events();
}

// --- deliveries from the room directory ----------------------------------------

std::shared_ptr<PeerLink> EngineioSession::peer_link() {
  std::shared_ptr<PeerLink> link(shared_from_this(), &link_);
  link_.open(strand_, link);
  return link;
}

void EngineioSession::run_on_strand(std::function<void()> f) {
  net::dispatch(strand_, [self = shared_from_this(), f = std::move(f)] { f(); });
}

void EngineioSession::on_events(std::vector<Event>& batch) {
  for (const auto& event : batch) {
    if (phase_ == Phase::finished) return;
    peer_.on_event(event);
  }
}

void EngineioSession::discard_pending_events() {
  link_.discard();
}

}  // namespace parley
