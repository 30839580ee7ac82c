#include "dialects/native/native_session.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include "policy/jwt.hpp"
#include "policy/turn.hpp"

namespace parley {

using nlohmann::json;

NativeSession::NativeSession(ServerContext& context, std::shared_ptr<const Config> config)
    : context_(context),
      config_(std::move(config)),
      rate_limiter_(config_->limits.messages_per_second, config_->limits.message_burst,
                    context.clock.now()) {}

template <class F>
void NativeSession::on_strand(F&& f) {
  boost::asio::dispatch(
      link_.strand(), [self = shared_from_this(), f = std::forward<F>(f)]() mutable { f(*self); });
}

void NativeSession::on_open(WsTransport& transport) {
  transport_ = &transport;
  link_.open(transport.executor(), link());
  auto connected = context_.directory.connect(link());
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
  // Events for this peer wait until the answer to the join is out.
  link_.hold();
  context_.directory.join(id_, message.room, std::move(options),
                          [self = shared_from_this(), room = message.room,
                           rid = message.rid](RoomDirectory::JoinResult result) mutable {
                            self->on_strand([room = std::move(room), rid = std::move(rid),
                                             result = std::move(result)](NativeSession& session) {
                              session.answer_join(room, rid, result);
                              session.link_.release();
                            });
                          });
}

void NativeSession::answer_join(const std::string& room, const std::optional<json>& rid,
                                const RoomDirectory::JoinResult& result) {
  if (!transport_) return;
  switch (result.status) {
    case RoomDirectory::JoinStatus::joined:
      spdlog::debug("peer joined a room");
      return send(encode_joined(room, id_, result.peers, result.meta,
                                ice_servers_for(*config_, id_, context_.clock.unix_now()), rid));
    case RoomDirectory::JoinStatus::full:
      return send(encode_full(room, rid));
    case RoomDirectory::JoinStatus::room_limit:
      return send_error(ErrorCode::room_limit, "the server holds as many rooms as it may", rid);
    case RoomDirectory::JoinStatus::already_in_room:
      return send_error(ErrorCode::already_in_room, "already in a room: send `leave` first", rid);
    case RoomDirectory::JoinStatus::unavailable:
      return send_error(ErrorCode::unavailable, "rooms are unavailable for a moment: try again",
                        rid);
    case RoomDirectory::JoinStatus::no_such_peer:
      break;
  }
  // The directory forgets a peer only after this session told it to, so this is
  // a bug; the client still gets an answer.
  spdlog::error("join for peer {} that the room directory does not know", id_);
  send_error(ErrorCode::not_in_room, "this connection is no longer known: reconnect", rid);
}

void NativeSession::handle_leave(const ClientMessage& message) {
  context_.directory.leave(
      id_, [self = shared_from_this(), rid = message.rid](std::optional<std::string> room) mutable {
        self->on_strand([rid = std::move(rid), room = std::move(room)](NativeSession& session) {
          if (!session.transport_) return;
          if (room) return session.send(encode_left(*room, LeaveReason::leave, rid));
          session.send_error(ErrorCode::not_in_room, "not in a room", rid);
        });
      });
}

void NativeSession::handle_update_meta(const ClientMessage& message) {
  context_.directory.update_meta(
      id_, *message.meta,
      [self = shared_from_this(), meta = *message.meta,
       rid = message.rid](RoomDirectory::MetaResult result) mutable {
        self->on_strand([meta = std::move(meta), rid = std::move(rid),
                         result = std::move(result)](NativeSession& session) {
          if (!session.transport_) return;
          switch (result.status) {
            case RoomDirectory::MetaStatus::updated:
              return session.send(encode_meta_updated(result.room, meta, rid));
            case RoomDirectory::MetaStatus::not_in_room:
              return session.send_error(ErrorCode::not_in_room,
                                        "join a room before setting metadata", rid);
            case RoomDirectory::MetaStatus::forbidden:
              return session.send_error(ErrorCode::forbidden,
                                        "your join token pinned your metadata", rid);
            case RoomDirectory::MetaStatus::unavailable:
              return session.send_error(ErrorCode::unavailable,
                                        "rooms are unavailable for a moment: try again", rid);
          }
        });
      });
}

void NativeSession::handle_watch(const ClientMessage& message) {
  if (!authorize(message)) return;
  // Presence events of the room wait until `watching` is out.
  link_.hold();
  context_.directory.watch(
      id_, message.room,
      [self = shared_from_this(), room = message.room,
       rid = message.rid](RoomDirectory::WatchResult result) mutable {
        self->on_strand([room = std::move(room), rid = std::move(rid),
                         result = std::move(result)](NativeSession& session) {
          if (session.transport_) {
            switch (result.status) {
              case RoomDirectory::WatchStatus::watching:
                session.send(encode_watching(room, result.peers, result.meta, rid));
                break;
              case RoomDirectory::WatchStatus::watch_limit:
                session.send_error(ErrorCode::watch_limit,
                                   "this connection watches " +
                                       std::to_string(session.config_->limits.max_watches) +
                                       " rooms already: unwatch one first",
                                   rid);
                break;
              case RoomDirectory::WatchStatus::unavailable:
                session.send_error(ErrorCode::unavailable,
                                   "rooms are unavailable for a moment: try again", rid);
                break;
              case RoomDirectory::WatchStatus::no_such_peer:
                spdlog::error("watch for peer {} that the room directory does not know",
                              session.id_);
                session.send_error(ErrorCode::not_in_room,
                                   "this connection is no longer known: reconnect", rid);
                break;
            }
          }
          session.link_.release();
        });
      });
}

void NativeSession::handle_unwatch(const ClientMessage& message) {
  context_.directory.unwatch(
      id_, message.room,
      [self = shared_from_this(), room = message.room, rid = message.rid](bool watched) mutable {
        self->on_strand(
            [room = std::move(room), rid = std::move(rid), watched](NativeSession& session) {
              if (!session.transport_) return;
              if (watched) return session.send(encode_unwatched(room, rid));
              session.send_error(ErrorCode::not_watching,
                                 "this connection does not watch that room", rid);
            });
      });
}

void NativeSession::handle_relay(const ClientMessage& message, std::string_view text) {
  const double started = context_.clock.now();
  const std::string_view type = to_string(message.type);
  // The draft views `text`, the transport's read buffer, which stays put
  // until this call returns.
  const RelayDraft draft{type, text, message.has_from, RelayShape::signal};
  const std::string* to = message.to ? &*message.to : nullptr;
  switch (context_.directory.relay(id_, to, draft)) {
    case RoomDirectory::RelayStatus::ok:
      context_.metrics.count_relay(type);
      context_.metrics.observe_relay_latency(context_.clock.now() - started);
      return;
    case RoomDirectory::RelayStatus::not_in_room:
      return send_error(ErrorCode::not_in_room, "join a room before relaying", message.rid);
    case RoomDirectory::RelayStatus::forbidden:
      return send_error(ErrorCode::forbidden,
                        "your join token does not allow sending `" + std::string(type) + "`",
                        message.rid);
    case RoomDirectory::RelayStatus::unknown_peer:
      return send_error(ErrorCode::unknown_peer, "`to` names no other peer of your room",
                        message.rid);
  }
}

void NativeSession::handle_resume(const ClientMessage& message) {
  if (!first_message_)
    return send_error(ErrorCode::resume_failed, "resume must be the first message of a connection",
                      message.rid);
  // Events for the resumed peer wait until `resumed` and the kept messages are out.
  link_.hold();
  context_.directory.resume(*message.token, id_, link(),
                            [self = shared_from_this(), rid = message.rid](
                                std::optional<RoomDirectory::Resumed> resumed) mutable {
                              self->on_strand([rid = std::move(rid), resumed = std::move(resumed)](
                                                  NativeSession& session) mutable {
                                session.answer_resume(rid, resumed);
                                session.link_.release();
                              });
                            });
}

void NativeSession::answer_resume(const std::optional<json>& rid,
                                  std::optional<RoomDirectory::Resumed>& resumed) {
  if (!transport_) return;
  if (!resumed)
    return send_error(ErrorCode::resume_failed, "unknown, spent or expired resume token", rid);
  id_ = resumed->id;
  context_.metrics.resumes_total.fetch_add(1, std::memory_order_relaxed);
  send(encode_resumed(id_, resumed->room, resumed->peers, resumed->meta, resumed->resume_token,
                      rid));
  // Kept messages go out before anything delivered from now on: the inbox is
  // held until this completion has run.
  for (const auto& message : resumed->kept) send_relayed(message);
}

void NativeSession::send_relayed(const SharedMessage& message) {
  transport_->send(
      RelayedMessage::encoded(message, kNativeEncoding, [&] { return encode_relayed(*message); }),
      true);
}

void NativeSession::send_error(ErrorCode code, std::string_view message,
                               const std::optional<json>& rid) {
  context_.metrics.count_error(code);
  send(encode_error(code, message, rid));
}

void NativeSession::on_closed(CloseKind kind) {
  if (kind == CloseKind::lost)
    context_.directory.lost(id_, &link_);
  else
    context_.directory.end(id_, &link_);
  // Both calls above did nothing if a resume took this peer over first (it sets
  // superseded_ under the directory's lock): then what is unsent goes over.
  if (superseded_.load() && !handed_over_) hand_over(transport_->take_unsent());
  transport_ = nullptr;
  link_.discard();
}

void NativeSession::on_events(std::vector<Event>& batch) {
  if (!transport_) return;
  // Several events: queue them all before the first write starts, so that
  // they can leave in one send.
  const bool corked = batch.size() > 1;
  if (corked) transport_->cork();
  for (auto& event : batch) {
    std::visit(
        [this](auto& e) {
          using E = std::decay_t<decltype(e)>;
          if constexpr (std::is_same_v<E, RelayEvent>) {
            send_relayed(e.message);
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
  if (corked) transport_->uncork();
}

namespace {

// The transport hands back what was sent as a relay: native encodings of
// relayed messages, each of which knows its message.
std::vector<SharedMessage> messages_of(std::vector<SharedText> texts) {
  std::vector<SharedMessage> messages;
  messages.reserve(texts.size());
  for (auto& text : texts) messages.push_back(RelayedMessage::of_encoding(text));
  return messages;
}

}  // namespace

void NativeSession::hand_over(std::vector<SharedText> unsent) {
  handed_over_ = true;
  auto messages = messages_of(std::move(unsent));
  link_.take_relays(messages);
  context_.directory.hand_over(id_, std::move(messages));
}

std::vector<SharedMessage> NativeSession::take_unsent() {
  if (!transport_) return {};
  return messages_of(transport_->take_unsent());
}

void NativeSession::superseded() {
  // Under the directory's lock: only schedule the close.
  superseded_.store(true);
  boost::asio::post(link_.strand(), [self = shared_from_this()] {
    if (!self->transport_) return;  // closed first: on_closed handed over
    // What was handed to the socket goes out before the close frame; the rest
    // goes to the new connection.
    if (!self->handed_over_) self->hand_over(self->transport_->take_queued());
    self->transport_->close(1000, "resumed on another connection");
  });
}

}  // namespace parley
