#include "dialects/socketio/socketio_peer.hpp"

#include <spdlog/spdlog.h>

#include "dialects/socketio/socketio_events.hpp"
#include "dialects/socketio/socketio_packets.hpp"
#include "policy/jwt.hpp"
#include "policy/turn.hpp"

namespace parley {

using nlohmann::json;

namespace {

SharedText shared(std::string text) {
  return std::make_shared<const std::string>(std::move(text));
}

// The metrics label of a relayed message: the signaling type when the data is
// an offer, answer or candidate written the usual way, else application data.
std::string_view relay_type_of(const json& data) {
  if (data.is_object()) {
    const auto type = data.find("type");
    if (type != data.end() && type->is_string()) {
      const auto& name = type->get_ref<const std::string&>();
      if (name == "offer" || name == "answer" || name == "candidate") return name;
    }
  }
  return "message";
}

json ok(json fields = json::object()) {
  fields["ok"] = true;
  return fields;
}

}  // namespace

SocketioPeer::SocketioPeer(ServerContext& context, std::shared_ptr<const Config> config,
                           SocketioPeerHost& host)
    : context_(context),
      config_(std::move(config)),
      host_(host),
      rate_limiter_(config_->limits.messages_per_second, config_->limits.message_burst,
                    context.clock.now()) {}

void SocketioPeer::send(std::string packet) {
  host_.send_packet(shared(std::move(packet)));
}

void SocketioPeer::on_message(std::string_view text) {
  switch (rate_limiter_.on_message(context_.clock.now())) {
    case RateLimiter::Verdict::accept:
      break;
    case RateLimiter::Verdict::drop:
      // The packet is not parsed; an event that asks for an acknowledgement
      // gets one that says it was dropped, so the client knows which it was.
      if (connected()) {
        json result = fail(ErrorCode::rate_limited, "too many messages: this one was dropped");
        if (const auto ack_id = socketio::event_ack_id(text))
          send(socketio::ack_packet(*ack_id, json::array({std::move(result)})));
      }
      return;
    case RateLimiter::Verdict::close:
      context_.metrics.rate_limit_closes_total.fetch_add(1, std::memory_order_relaxed);
      host_.close_connection(1008, "message rate limit exceeded again and again");
      return;
  }

  const auto parsed = socketio::parse_packet(text);
  if (!parsed.packet) {
    if (parsed.error == socketio::ParseError::binary)
      host_.close_connection(1003, "binary events are not supported");
    else
      host_.close_connection(1002, "malformed Socket.IO packet");
    return;
  }
  const socketio::Packet& packet = *parsed.packet;
  if (packet.nsp != socketio::kDefaultNamespace) {
    // Only the default namespace exists. Asking for another is an error the
    // client is told of; using one it never joined is a broken client.
    if (packet.type == socketio::PacketType::connect)
      send(socketio::connect_error_packet(packet.nsp, "Invalid namespace"));
    else
      host_.close_connection(1002, "packet for a namespace the client did not join");
    return;
  }
  switch (packet.type) {
    case socketio::PacketType::connect:
      return handle_connect(packet.data);
    case socketio::PacketType::disconnect:
    case socketio::PacketType::event:
    case socketio::PacketType::ack:
      if (!connected()) {
        // socket.io's own server closes a client that skips CONNECT.
        host_.close_connection(1002, "packet before CONNECT");
        return;
      }
      if (packet.type == socketio::PacketType::disconnect) return handle_disconnect();
      if (packet.type == socketio::PacketType::event)
        return handle_event(*packet.data, packet.data_text, packet.ack_id);
      return;  // an acknowledgement: the server never asks for one, nothing waits
    case socketio::PacketType::connect_error:
    case socketio::PacketType::binary_event:
    case socketio::PacketType::binary_ack:
      break;
  }
  host_.close_connection(1002, "a client may not send this Socket.IO packet type");
}

void SocketioPeer::handle_connect(const std::optional<json>& auth) {
  if (connected()) {
    // A repeated CONNECT changes nothing; it is answered the same way.
    send(socketio::connect_packet(id_));
    return;
  }
  if (auth) {
    const auto token = auth->find("token");
    if (token != auth->end()) {
      if (!token->is_string()) {
        context_.metrics.count_error(ErrorCode::bad_message);
        send(socketio::connect_error_packet(socketio::kDefaultNamespace,
                                            "the auth `token` must be a string",
                                            json{{"code", to_string(ErrorCode::bad_message)}}));
        return;
      }
      token_ = token->get<std::string>();
    }
  }
  id_ = context_.directory.connect(host_.peer_link()).id;
  send(socketio::connect_packet(id_));
}

void SocketioPeer::handle_disconnect() {
  context_.directory.end(id_, host_.peer_link().get());
  id_.clear();
  token_.reset();
  host_.discard_pending_events();
}

void SocketioPeer::on_connection_closed() {
  if (!connected()) return;
  context_.directory.end(id_, host_.peer_link().get());
  id_.clear();
}

void SocketioPeer::handle_event(const json& arguments, std::string_view arguments_text,
                                std::optional<std::uint64_t> ack_id) {
  Answer answer = [this, ack_id](json result) {
    if (ack_id) send(socketio::ack_packet(*ack_id, json::array({std::move(result)})));
  };
  const json& name = arguments.front();
  if (name == "join") return handle_join(arguments, std::move(answer));
  if (name == "message") return handle_message(arguments, arguments_text, std::move(answer));
  if (name == "leave") return handle_leave(arguments, std::move(answer));
  if (name == "update-meta") return handle_update_meta(arguments, std::move(answer));
  if (name == "watch") return handle_watch(arguments, std::move(answer));
  if (name == "unwatch") return handle_unwatch(arguments, std::move(answer));
  // Like a socket.io server without a handler for it: ignored, but an
  // acknowledgement that the client waits for says why nothing happened.
  answer({{"ok", false}, {"code", to_string(ErrorCode::unknown_type)}});
}

json SocketioPeer::fail(ErrorCode code, std::string_view message) {
  context_.metrics.count_error(code);
  send(socketio_error_packet(to_string(code), message));
  return {{"ok", false}, {"code", to_string(code)}};
}

std::string SocketioPeer::meta_rule() const {
  return "metadata is a JSON object of at most " + std::to_string(config_->limits.max_meta_bytes) +
         " bytes as compact JSON";
}

std::optional<JoinGrants> SocketioPeer::authorize(const std::string& room) {
  if (config_->auth.jwt_secret.empty()) return JoinGrants{};
  if (!token_) {
    fail(ErrorCode::unauthorized,
         "this server needs a token: connect with io(url, {auth: {token}})");
    return std::nullopt;
  }
  auto checked = check_join_token(*token_, config_->auth.jwt_secret, room,
                                  context_.clock.unix_now(), config_->limits.max_meta_bytes);
  if (checked.status != JwtStatus::ok) {
    fail(ErrorCode::unauthorized,
         std::string("the token was refused: ") + std::string(to_string(checked.status)));
    return std::nullopt;
  }
  return std::move(checked.grants);
}

void SocketioPeer::handle_join(const json& arguments, Answer answer) {
  if (arguments.size() < 2 || !arguments[1].is_string())
    return answer(fail(ErrorCode::bad_message, "join(room) needs the room name as a string"));
  // join(room, meta): parley's optional second argument, the peer's metadata.
  const bool has_meta = arguments.size() > 2 && !arguments[2].is_null();
  if (has_meta && !is_valid_meta(arguments[2], config_->limits.max_meta_bytes))
    return answer(fail(ErrorCode::bad_message, meta_rule()));
  std::string room = arguments[1].get<std::string>();
  if (!is_valid_room_name(room))
    return answer(
        fail(ErrorCode::bad_room, "a room name is 1 to 64 bytes with no control characters"));
  auto grants = authorize(room);
  if (!grants) return answer({{"ok", false}, {"code", to_string(ErrorCode::unauthorized)}});
  JoinOptions options;
  if (grants->meta) {
    options.meta = std::move(*grants->meta);
    options.meta_pinned = true;
  } else if (has_meta) {
    options.meta = arguments[2];
  }
  options.max_peers = grants->max_peers;
  options.relays = grants->relay;
  // Events for this peer wait until the answer to the join is out.
  auto link = host_.peer_link();
  link->hold();
  context_.directory.join(
      id_, room, std::move(options),
      [this, room, answer = std::move(answer), link](RoomDirectory::JoinResult result) {
        host_.run_on_strand([this, room, answer, link, result = std::move(result)] {
          answer_join(room, result, answer);
          link->release();
        });
      });
}

void SocketioPeer::answer_join(const std::string& room, const RoomDirectory::JoinResult& result,
                               const Answer& answer) {
  switch (result.status) {
    case RoomDirectory::JoinStatus::joined:
      send(socketio_room_event_packet("joined", room, id_));
      return answer(
          ok({{"room", room},
              {"id", id_},
              {"peers", result.peers},
              {"meta", result.meta},
              {"iceServers", ice_servers_for(*config_, id_, context_.clock.unix_now())}}));
    case RoomDirectory::JoinStatus::full:
      send(socketio_room_event_packet("full", room, id_));
      return answer({{"ok", false}, {"code", "full"}, {"room", room}});
    case RoomDirectory::JoinStatus::room_limit:
      return answer(fail(ErrorCode::room_limit, "the server holds as many rooms as it may"));
    case RoomDirectory::JoinStatus::already_in_room:
      return answer(fail(ErrorCode::already_in_room, "already in a room: leave it first"));
    case RoomDirectory::JoinStatus::unavailable:
      return answer(fail(ErrorCode::unavailable, "rooms are unavailable for a moment: try again"));
    case RoomDirectory::JoinStatus::no_such_peer:
      break;
  }
  // The directory forgets a peer only when this peer told it to: a bug, answered.
  spdlog::error("socket.io join for peer {} that the room directory does not know", id_);
  answer(fail(ErrorCode::not_in_room, "this connection is no longer known: reconnect"));
}

namespace {

// Skips one JSON string starting at `at` (a quote); the index after it.
std::size_t skip_string(std::string_view text, std::size_t at) {
  for (std::size_t i = at + 1; i < text.size(); ++i) {
    if (text[i] == '\\')
      ++i;
    else if (text[i] == '"')
      return i + 1;
  }
  return std::string_view::npos;
}

std::size_t skip_blanks(std::string_view text, std::size_t at) {
  while (at < text.size() &&
         (text[at] == ' ' || text[at] == '\t' || text[at] == '\n' || text[at] == '\r'))
    ++at;
  return at;
}

// The third element of `["message", "<room>", <data>]` as its sender wrote it
// (the text parsed as exactly that array), or nothing when it cannot be cut out.
std::optional<std::string_view> third_element(std::string_view text) {
  std::size_t at = skip_blanks(text, 0);
  if (at >= text.size() || text[at] != '[') return std::nullopt;
  for (int element = 0; element < 2; ++element) {
    at = skip_blanks(text, at + 1);
    if (at >= text.size() || text[at] != '"') return std::nullopt;
    at = skip_blanks(text, skip_string(text, at));
    if (at >= text.size() || text[at] != ',') return std::nullopt;
  }
  const std::size_t begin = skip_blanks(text, at + 1);
  std::size_t end = text.find_last_of(']');
  if (end == std::string_view::npos || end <= begin) return std::nullopt;
  while (end > begin && (text[end - 1] == ' ' || text[end - 1] == '\t' || text[end - 1] == '\n' ||
                         text[end - 1] == '\r'))
    --end;
  return text.substr(begin, end - begin);
}

}  // namespace

void SocketioPeer::handle_message(const json& arguments, std::string_view arguments_text,
                                  Answer answer) {
  if (arguments.size() < 2 || !arguments[1].is_string())
    return answer(
        fail(ErrorCode::bad_message, "message(room, data) needs the room name as a string"));
  const auto& room = arguments[1].get_ref<const std::string&>();
  static const json kNoData(nullptr);
  const json& data = arguments.size() > 2 ? arguments[2] : kNoData;
  const auto current = context_.directory.room_of(id_);
  if (!current) return answer(fail(ErrorCode::not_in_room, "join a room before sending messages"));
  if (*current != room)
    return answer(fail(ErrorCode::not_in_room, "message(room, data) names a room you are not in"));

  const double started = context_.clock.now();
  const std::string_view type = relay_type_of(data);
  // The data goes on as the client wrote it when the text holds exactly these
  // arguments (it was parsed, so it is valid JSON); else as parsed.
  const auto written = arguments.size() == 3 ? third_element(arguments_text) : std::nullopt;
  std::string dumped;
  if (!written) dumped = data.dump(-1, ' ', false, json::error_handler_t::replace);
  RelayDraft draft;
  draft.type = type;
  draft.text = written ? *written : std::string_view(dumped);
  // Known from the parsed packet at no cost: the native encoding then splices
  // `from` in instead of parsing the data again.
  draft.has_from = data.is_object() && data.contains("from");
  draft.shape = RelayShape::data;
  switch (context_.directory.relay(id_, nullptr, draft)) {
    case RoomDirectory::RelayStatus::ok:
      context_.metrics.count_relay(type);
      context_.metrics.observe_relay_latency(context_.clock.now() - started);
      return answer(ok());
    case RoomDirectory::RelayStatus::forbidden:
      return answer(fail(ErrorCode::forbidden,
                         "your join token does not allow sending `" + std::string(type) + "`"));
    case RoomDirectory::RelayStatus::not_in_room:  // removed by an admin just now
    case RoomDirectory::RelayStatus::unknown_peer:
      break;
  }
  answer(fail(ErrorCode::not_in_room, "join a room before sending messages"));
}

void SocketioPeer::handle_update_meta(const json& arguments, Answer answer) {
  if (arguments.size() < 2 || !is_valid_meta(arguments[1], config_->limits.max_meta_bytes))
    return answer(fail(ErrorCode::bad_message, "update-meta(meta): " + meta_rule()));
  context_.directory.update_meta(
      id_, arguments[1],
      [this, meta = arguments[1], answer = std::move(answer)](RoomDirectory::MetaResult result) {
        host_.run_on_strand([this, meta, answer, result = std::move(result)] {
          switch (result.status) {
            case RoomDirectory::MetaStatus::updated:
              send(socketio_event_packet(json::array({"meta-updated", result.room, meta})));
              return answer(ok({{"room", result.room}, {"meta", meta}}));
            case RoomDirectory::MetaStatus::not_in_room:
              return answer(fail(ErrorCode::not_in_room, "join a room before setting metadata"));
            case RoomDirectory::MetaStatus::unavailable:
              return answer(
                  fail(ErrorCode::unavailable, "rooms are unavailable for a moment: try again"));
            case RoomDirectory::MetaStatus::forbidden:
              break;
          }
          answer(fail(ErrorCode::forbidden, "your join token pinned your metadata"));
        });
      });
}

void SocketioPeer::handle_watch(const json& arguments, Answer answer) {
  if (arguments.size() < 2 || !arguments[1].is_string())
    return answer(fail(ErrorCode::bad_message, "watch(room) needs the room name as a string"));
  std::string room = arguments[1].get<std::string>();
  if (!is_valid_room_name(room))
    return answer(
        fail(ErrorCode::bad_room, "a room name is 1 to 64 bytes with no control characters"));
  if (!authorize(room))
    return answer({{"ok", false}, {"code", to_string(ErrorCode::unauthorized)}});
  // Presence events of the room wait until `watching` is out.
  auto link = host_.peer_link();
  link->hold();
  context_.directory.watch(
      id_, room, [this, room, answer = std::move(answer), link](RoomDirectory::WatchResult result) {
        host_.run_on_strand([this, room, answer, link, result = std::move(result)] {
          if (result.status == RoomDirectory::WatchStatus::unavailable) {
            answer(fail(ErrorCode::unavailable, "rooms are unavailable for a moment: try again"));
          } else if (result.status != RoomDirectory::WatchStatus::watching) {
            answer(fail(ErrorCode::watch_limit, "this connection watches as many rooms as it may"));
          } else {
            send(socketio_event_packet(json::array({"watching", room, result.peers, result.meta})));
            answer(ok({{"room", room}, {"peers", result.peers}, {"meta", result.meta}}));
          }
          link->release();
        });
      });
}

void SocketioPeer::handle_unwatch(const json& arguments, Answer answer) {
  if (arguments.size() < 2 || !arguments[1].is_string())
    return answer(fail(ErrorCode::bad_message, "unwatch(room) needs the room name as a string"));
  std::string room = arguments[1].get<std::string>();
  context_.directory.unwatch(id_, room, [this, room, answer = std::move(answer)](bool watched) {
    host_.run_on_strand([this, room, answer, watched] {
      if (!watched)
        return answer(fail(ErrorCode::not_watching, "this connection does not watch that room"));
      send(socketio_event_packet(json::array({"unwatched", room})));
      answer(ok({{"room", room}}));
    });
  });
}

void SocketioPeer::handle_leave(const json& arguments, Answer answer) {
  if (arguments.size() >= 2 && !arguments[1].is_string())
    return answer(fail(ErrorCode::bad_message, "leave(room) takes the room name as a string"));
  if (arguments.size() >= 2) {
    const auto current = context_.directory.room_of(id_);
    if (current && *current != arguments[1].get_ref<const std::string&>())
      return answer(fail(ErrorCode::not_in_room, "leave(room) names a room you are not in"));
  }
  context_.directory.leave(id_,
                           [this, answer = std::move(answer)](std::optional<std::string> left) {
                             host_.run_on_strand([this, answer, left = std::move(left)] {
                               if (!left)
                                 return answer(fail(ErrorCode::not_in_room, "not in a room"));
                               send(socketio_room_event_packet("leaved", *left, id_));
                               answer(ok({{"room", *left}}));
                             });
                           });
}

void SocketioPeer::on_event(const Event& event) {
  if (!connected()) return;
  std::visit(
      [this](const auto& e) {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, RelayEvent>) {
          host_.send_packet(RelayedMessage::encoded(
              e.message, kSocketioEncoding, [&] { return socketio_encode_relayed(*e.message); }));
        } else if constexpr (std::is_same_v<E, PeerJoinedEvent>) {
          send(socketio_peer_event_packet("otherjoin", e.room, e.id, e.meta));
        } else if constexpr (std::is_same_v<E, PeerUpdatedEvent>) {
          send(socketio_peer_event_packet("peer-updated", e.room, e.id, e.meta));
        } else if constexpr (std::is_same_v<E, PeerLeftEvent>) {
          send(socketio_room_event_packet("bye", e.room, e.id));
        } else if constexpr (std::is_same_v<E, RemovedEvent>) {
          // An admin removed this peer: it is out of the room as after its own
          // leave, so it hears what a leave answers.
          send(socketio_room_event_packet("leaved", e.room, id_));
        }
      },
      event);
}

}  // namespace parley
