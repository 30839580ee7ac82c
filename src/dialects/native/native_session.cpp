#include "dialects/native/native_session.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include "dialects/socketio/socketio_events.hpp"
#include "policy/jwt.hpp"
#include "policy/turn.hpp"

namespace parley {

using nlohmann::json;

NativeSession::NativeSession(ServerContext& context, std::shared_ptr<const Config> config)
    : context_(context),
      config_(std::move(config)),
      rate_limiter_(config_->limits.messages_per_second, config_->limits.message_burst,
                    context.clock.now()) {}

void NativeSession::on_open(WsTransport& transport) {
  transport_ = &transport;
  executor_ = transport.executor();
  auto connected = context_.registry.connect(shared_from_this(), Dialect::native);
  id_ = std::move(connected.id);
  send(encode_welcome(id_, connected.resume_token));
}

void NativeSession::on_message(std::string_view text) {
  // Taken over by a resume elsewhere, and about to close: whatever still arrives
  // here must not act in the name of the peer that now lives on the new connection.
  if (superseded_.load()) return;
  switch (rate_limiter_.on_message(context_.clock.now())) {
    case RateLimiter::Verdict::accept:
      break;
    case RateLimiter::Verdict::drop:
      first_message_ = false;
      // Not parsed, but the client learns which request was dropped.
      send_error(ErrorCode::rate_limited, "too many messages: this one was dropped",
                 find_rid(text));
      return;
    case RateLimiter::Verdict::close:
      context_.metrics.rate_limit_closes_total.fetch_add(1, std::memory_order_relaxed);
      transport_->close(1008, "message rate limit exceeded again and again");
      return;
  }
  auto parsed = parse_client_message(text, ParseLimits{config_->limits.max_meta_bytes});
  if (auto* problem = std::get_if<ProtocolError>(&parsed)) {
    first_message_ = false;
    send_error(problem->code, problem->message, problem->rid);
    return;
  }
  handle(std::get<ClientMessage>(parsed), text);
  first_message_ = false;
}

void NativeSession::handle(const ClientMessage& message, std::string_view text) {
  switch (message.type) {
    case ClientType::join:
      return handle_join(message);
    case ClientType::leave:
      return handle_leave(message);
    case ClientType::ping:
      return send(encode_pong(message.rid));
    case ClientType::resume:
      return handle_resume(message);
    case ClientType::offer:
    case ClientType::answer:
    case ClientType::candidate:
    case ClientType::message:
      return handle_relay(message, text);
    case ClientType::update_meta:
      return handle_update_meta(message);
    case ClientType::watch:
      return handle_watch(message);
    case ClientType::unwatch:
      return handle_unwatch(message);
  }
}

// With auth on, the join or watch token: nothing when it is missing or refused
// (the client has been told `unauthorized`), else its grants.
std::optional<JoinGrants> NativeSession::authorize(const ClientMessage& message) {
  if (config_->auth.jwt_secret.empty()) return JoinGrants{};
  if (!message.token) {
    send_error(
        ErrorCode::unauthorized,
        std::string("this server needs a `token` to ") + std::string(to_string(message.type)),
        message.rid);
    return std::nullopt;
  }
  auto checked = check_join_token(*message.token, config_->auth.jwt_secret, message.room,
                                  context_.clock.unix_now(), config_->limits.max_meta_bytes);
  if (checked.status != JwtStatus::ok) {
    send_error(ErrorCode::unauthorized,
               std::string("the token was refused: ") + std::string(to_string(checked.status)),
               message.rid);
    return std::nullopt;
  }
  return std::move(checked.grants);
}

void NativeSession::handle_join(const ClientMessage& message) {
  auto grants = authorize(message);
  if (!grants) return;
  JoinOptions options;
  // Metadata from the token is pinned: the client's own is ignored.
  if (grants->meta) {
    options.meta = std::move(*grants->meta);
    options.meta_pinned = true;
  } else if (message.meta) {
    options.meta = *message.meta;
  }
  options.max_peers = grants->max_peers;
  options.relays = grants->relay;
  auto result = context_.registry.join(id_, message.room, std::move(options));
  switch (result.status) {
    case RoomRegistry::JoinStatus::joined:
      spdlog::debug("peer joined a room");
      return send(encode_joined(message.room, id_, result.peers, result.meta,
                                ice_servers_for(*config_, id_, context_.clock.unix_now()),
                                message.rid));
    case RoomRegistry::JoinStatus::full:
      return send(encode_full(message.room, message.rid));
    case RoomRegistry::JoinStatus::room_limit:
      return send_error(ErrorCode::room_limit, "the server holds as many rooms as it may",
                        message.rid);
    case RoomRegistry::JoinStatus::already_in_room:
      return send_error(ErrorCode::already_in_room, "already in a room: send `leave` first",
                        message.rid);
    case RoomRegistry::JoinStatus::no_such_peer:
      break;
  }
  // The registry forgets a peer only after this session told it to, so this is
  // a bug; the client still gets an answer.
  spdlog::error("join for peer {} that the room registry does not know", id_);
  send_error(ErrorCode::not_in_room, "this connection is no longer known: reconnect", message.rid);
}

void NativeSession::handle_leave(const ClientMessage& message) {
  if (auto room = context_.registry.leave(id_))
    return send(encode_left(*room, LeaveReason::leave, message.rid));
  send_error(ErrorCode::not_in_room, "not in a room", message.rid);
}

void NativeSession::handle_update_meta(const ClientMessage& message) {
  auto result = context_.registry.update_meta(id_, *message.meta);
  switch (result.status) {
    case RoomRegistry::MetaStatus::updated:
      return send(encode_meta_updated(result.room, *message.meta, message.rid));
    case RoomRegistry::MetaStatus::not_in_room:
      return send_error(ErrorCode::not_in_room, "join a room before setting metadata", message.rid);
    case RoomRegistry::MetaStatus::forbidden:
      return send_error(ErrorCode::forbidden, "your join token pinned your metadata", message.rid);
  }
}

void NativeSession::handle_watch(const ClientMessage& message) {
  if (!authorize(message)) return;
  auto result = context_.registry.watch(id_, message.room);
  switch (result.status) {
    case RoomRegistry::WatchStatus::watching:
      return send(encode_watching(message.room, result.peers, result.meta, message.rid));
    case RoomRegistry::WatchStatus::watch_limit:
      return send_error(ErrorCode::watch_limit,
                        "this connection watches " + std::to_string(config_->limits.max_watches) +
                            " rooms already: unwatch one first",
                        message.rid);
    case RoomRegistry::WatchStatus::no_such_peer:
      break;
  }
  spdlog::error("watch for peer {} that the room registry does not know", id_);
  send_error(ErrorCode::not_in_room, "this connection is no longer known: reconnect", message.rid);
}

void NativeSession::handle_unwatch(const ClientMessage& message) {
  if (context_.registry.unwatch(id_, message.room))
    return send(encode_unwatched(message.room, message.rid));
  send_error(ErrorCode::not_watching, "this connection does not watch that room", message.rid);
}

void NativeSession::handle_relay(const ClientMessage& message, std::string_view text) {
  const double started = context_.clock.now();
  RoomRegistry::RelayMessage relay;
  relay.type = std::string(to_string(message.type));
  relay.native = std::make_shared<const std::string>(stamp_from(text, message.has_from, id_));
  relay.socketio = [text](const std::string& room) {
    return std::make_shared<const std::string>(socketio_relay_packet(room, text));
  };
  const std::string* to = message.to ? &*message.to : nullptr;
  switch (context_.registry.relay(id_, to, relay)) {
    case RoomRegistry::RelayStatus::ok:
      context_.metrics.count_relay(relay.type);
      context_.metrics.observe_relay_latency(context_.clock.now() - started);
      return;
    case RoomRegistry::RelayStatus::not_in_room:
      return send_error(ErrorCode::not_in_room, "join a room before relaying", message.rid);
    case RoomRegistry::RelayStatus::forbidden:
      return send_error(ErrorCode::forbidden,
                        "your join token does not allow sending `" + relay.type + "`", message.rid);
    case RoomRegistry::RelayStatus::unknown_peer:
      return send_error(ErrorCode::unknown_peer, "`to` names no other peer of your room",
                        message.rid);
  }
}

void NativeSession::handle_resume(const ClientMessage& message) {
  if (!first_message_)
    return send_error(ErrorCode::resume_failed, "resume must be the first message of a connection",
                      message.rid);
  auto resumed = context_.registry.resume(*message.token, id_, shared_from_this());
  if (!resumed)
    return send_error(ErrorCode::resume_failed, "unknown, spent or expired resume token",
                      message.rid);
  id_ = resumed->id;
  context_.metrics.resumes_total.fetch_add(1, std::memory_order_relaxed);
  send(encode_resumed(id_, resumed->room, resumed->peers, resumed->meta, resumed->resume_token,
                      message.rid));
  // Kept messages go out before anything delivered from now on: deliveries only
  // reach the transport through the inbox, drained after this handler returns.
  for (auto& text : resumed->kept) transport_->send(std::move(text), true);
}

void NativeSession::send_error(ErrorCode code, std::string_view message,
                               const std::optional<json>& rid) {
  context_.metrics.count_error(code);
  send(encode_error(code, message, rid));
}

void NativeSession::on_closed(CloseKind kind) {
  if (kind == CloseKind::lost)
    context_.registry.lost(id_, this);
  else
    context_.registry.end(id_, this);
  // Both calls above did nothing if a resume took this peer over first (it sets
  // superseded_ under the registry's lock): then what is unsent goes over.
  if (superseded_.load() && !handed_over_) hand_over(transport_->take_unsent());
  transport_ = nullptr;
  std::lock_guard lock(inbox_mutex_);
  inbox_.clear();
}

void NativeSession::deliver(const Event& event) {
  bool schedule = false;
  {
    std::lock_guard lock(inbox_mutex_);
    inbox_.push_back(event);
    schedule = !std::exchange(drain_scheduled_, true);
  }
  if (schedule) boost::asio::post(executor_, [self = shared_from_this()] { self->drain_inbox(); });
}

void NativeSession::drain_inbox() {
  std::vector<Event> events;
  {
    std::lock_guard lock(inbox_mutex_);
    events.swap(inbox_);
    drain_scheduled_ = false;
  }
  if (!transport_) return;
  // Several events: queue them all before the first write starts, so that
  // they can leave in one send.
  const bool batch = events.size() > 1;
  if (batch) transport_->cork();
  for (auto& event : events) {
    std::visit(
        [this](auto& e) {
          using E = std::decay_t<decltype(e)>;
          if constexpr (std::is_same_v<E, RelayEvent>) {
            transport_->send(e.native, true);
          } else if constexpr (std::is_same_v<E, PeerJoinedEvent>) {
            send(encode_peer_joined(e.room, e.id, e.meta));
          } else if constexpr (std::is_same_v<E, PeerUpdatedEvent>) {
            send(encode_peer_updated(e.room, e.id, e.meta));
          } else if constexpr (std::is_same_v<E, PeerLeftEvent>) {
            send(encode_peer_left(e.room, e.id, e.reason));
          } else if constexpr (std::is_same_v<E, RemovedEvent>) {
            send(encode_left(e.room, e.reason, std::nullopt));
          }
        },
        event);
    if (!transport_) return;  // a send closed the connection (slow consumer)
  }
  if (batch) transport_->uncork();
}

void NativeSession::hand_over(std::vector<SharedText> unsent) {
  handed_over_ = true;
  {
    std::lock_guard lock(inbox_mutex_);
    for (auto& event : inbox_)
      if (auto* relay = std::get_if<RelayEvent>(&event)) unsent.push_back(relay->native);
    inbox_.clear();
  }
  context_.registry.hand_over(id_, std::move(unsent));
}

std::vector<SharedText> NativeSession::take_unsent() {
  std::vector<SharedText> unsent;
  if (transport_) unsent = transport_->take_unsent();
  std::lock_guard lock(inbox_mutex_);
  for (auto& event : inbox_)
    if (auto* relay = std::get_if<RelayEvent>(&event)) unsent.push_back(relay->native);
  inbox_.clear();
  return unsent;
}

void NativeSession::superseded() {
  // Under the registry's lock: only schedule the close.
  superseded_.store(true);
  boost::asio::post(executor_, [self = shared_from_this()] {
    if (!self->transport_) return;  // closed first: on_closed handed over
    // What was handed to the socket goes out before the close frame; the rest
    // goes to the new connection.
    if (!self->handed_over_) self->hand_over(self->transport_->take_queued());
    self->transport_->close(1000, "resumed on another connection");
  });
}

}  // namespace parley
