#include "ops/admin_router.hpp"

#include <openssl/crypto.h>

#include <future>
#include <memory>
#include <optional>
#include <string>

#include <spdlog/spdlog.h>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>
#include <nlohmann/json.hpp>

#include "net/http_responses.hpp"

namespace parley {

namespace http = boost::beast::http;
using nlohmann::json;

namespace {

json room_json(const RoomInfo& room) {
  return json{{"room", room.name},
              {"peers", room.peers},
              {"meta", room.meta},
              {"created", room.created_unix}};
}

// The answer of a directory query, or nothing when it did not come within
// `limit`. The in-process directory completes inline; another completes on its
// own thread while this admin request waits (admin requests are rare, and
// never on a session's strand). The promise is shared with the completion,
// which may come after the wait gave up.
template <class T, class Query>
std::optional<T> wait_for(std::chrono::milliseconds limit, Query&& query) {
  auto promise = std::make_shared<std::promise<T>>();
  auto answer = promise->get_future();
  query([promise](T value) { promise->set_value(std::move(value)); });
  if (answer.wait_for(limit) != std::future_status::ready) return std::nullopt;
  return answer.get();
}

http::message_generator json_response(const HttpRequest& request, http::status status,
                                      const json& body) {
  return text_response(request, status,
                       body.dump(-1, ' ', false, json::error_handler_t::replace) + "\n",
                       "application/json");
}

bool token_matches(std::string_view header, const std::string& token) {
  constexpr std::string_view kScheme = "Bearer ";
  if (header.size() != kScheme.size() + token.size() || !header.starts_with(kScheme)) return false;
  return CRYPTO_memcmp(header.data() + kScheme.size(), token.data(), token.size()) == 0;
}

// The body of POST /admin/rooms/{room}/messages: a JSON object with `data`
// (any JSON, required) and an optional `to` (a peer id).
struct ServerMessageRequest {
  std::string data;  // compact JSON
  std::optional<std::string> to;
};

std::optional<ServerMessageRequest> parse_server_message(const std::string& body,
                                                         std::string& why) {
  json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) {
    why =
        "the body must be a JSON object: {\"data\": <any JSON>, \"to\": \"<peer id>\" (optional)}";
    return std::nullopt;
  }
  const auto data = parsed.find("data");
  if (data == parsed.end()) {
    why = "`data` is required (any JSON value)";
    return std::nullopt;
  }
  ServerMessageRequest request{data->dump(-1, ' ', false, json::error_handler_t::replace), {}};
  if (const auto to = parsed.find("to"); to != parsed.end()) {
    if (!to->is_string()) {
      why = "`to` must be a peer id (a string)";
      return std::nullopt;
    }
    request.to = to->get<std::string>();
  }
  return request;
}

}  // namespace

http::message_generator AdminRouter::handle(const HttpRequest& request) {
  auto parsed = boost::urls::parse_origin_form(request.target());
  if (!parsed) return text_response(request, http::status::bad_request, "malformed target\n");
  std::vector<std::string> segments;
  for (auto segment : parsed->segments()) segments.push_back(segment);  // percent-decoded
  const auto method = request.method();
  auto respond = [&](http::status status, const json& body) {
    return json_response(request, status, body);
  };

  if (segments.size() == 1 && segments[0] == "metrics") {
    if (method != http::verb::get && method != http::verb::head)
      return text_response(request, http::status::method_not_allowed, "method not allowed\n");
    return text_response(request, http::status::ok,
                         context_.metrics.render(context_.directory.counts()),
                         "text/plain; version=0.0.4; charset=utf-8");
  }
  if (segments.empty() || segments[0] != "admin")
    return text_response(request, http::status::not_found, "not found\n");

  const std::string& token = context_.config()->admin.token;
  if (token.empty())
    return text_response(request, http::status::forbidden,
                         "the admin API is off: set admin.token\n");
  if (!token_matches(request[http::field::authorization], token)) {
    http::response<http::string_body> res{http::status::unauthorized, request.version()};
    res.set(http::field::www_authenticate, "Bearer");
    res.set(http::field::content_type, "text/plain; charset=utf-8");
    res.keep_alive(request.keep_alive());
    res.body() = "missing or wrong bearer token\n";
    res.prepare_payload();
    return res;
  }

  const bool get = method == http::verb::get || method == http::verb::head;
  if (segments.size() == 2 && segments[1] == "rooms" && get) {
    json rooms = json::array();
    const auto all = wait_for<std::vector<RoomInfo>>(
        directory_timeout_, [&](auto done) { context_.directory.rooms(std::move(done)); });
    if (!all) return directory_timed_out(request);
    for (const auto& room : *all) rooms.push_back(room_json(room));
    return respond(http::status::ok, rooms);
  }
  if (segments.size() == 3 && segments[1] == "rooms") {
    if (get) {
      const auto room = wait_for<std::optional<RoomInfo>>(directory_timeout_, [&](auto done) {
        context_.directory.room(segments[2], std::move(done));
      });
      if (!room) return directory_timed_out(request);
      if (!*room) return respond(http::status::not_found, {{"error", "no such room"}});
      return respond(http::status::ok, room_json(**room));
    }
    if (method == http::verb::delete_) {
      const auto closed = wait_for<bool>(directory_timeout_, [&](auto done) {
        context_.directory.kick_room(segments[2], std::move(done));
      });
      if (!closed) return directory_timed_out(request);
      if (!*closed) return respond(http::status::not_found, {{"error", "no such room"}});
      spdlog::info("admin closed a room");
      return respond(http::status::ok, {{"closed", segments[2]}});
    }
  }
  if (segments.size() == 4 && segments[1] == "rooms" && segments[3] == "messages") {
    if (method != http::verb::post)
      return text_response(request, http::status::method_not_allowed, "method not allowed\n");
    return send_server_message(request, segments[2]);
  }
  if (segments.size() == 3 && segments[1] == "peers" && method == http::verb::delete_) {
    const auto removed = wait_for<bool>(directory_timeout_, [&](auto done) {
      context_.directory.kick_peer(segments[2], std::move(done));
    });
    if (!removed) return directory_timed_out(request);
    if (!*removed) return respond(http::status::not_found, {{"error", "no such peer in a room"}});
    spdlog::info("admin removed a peer");
    return respond(http::status::ok, {{"removed", segments[2]}});
  }
  if (segments.size() == 2 && segments[1] == "reload" && method == http::verb::post) {
    if (!context_.reload || !context_.reload())
      return respond(http::status::internal_server_error,
                     {{"error", "reload failed: the old configuration stays (see the log)"}});
    return respond(http::status::ok, {{"reloaded", true}});
  }
  return text_response(request, http::status::not_found, "not found\n");
}

http::message_generator AdminRouter::send_server_message(const HttpRequest& request,
                                                         const std::string& room) {
  auto respond = [&](http::status status, const json& body) {
    return json_response(request, status, body);
  };
  std::string why;
  auto message = parse_server_message(request.body(), why);
  if (!message) return respond(http::status::bad_request, {{"error", why}});
  // A peer gets at most limits.max_message_bytes in one message, as from a
  // room-mate: the native frame {"type":"server-message","room":R,"data":D}.
  const std::size_t most = context_.config()->limits.max_message_bytes;
  const std::size_t frame_size =
      RelayedMessage::frame_size(RelayShape::server, message->data, room, "");
  if (frame_size > most)
    return respond(http::status::payload_too_large,
                   {{"error", "the message (" + std::to_string(frame_size) +
                                  " bytes as a frame) is larger than limits.max_message_bytes (" +
                                  std::to_string(most) + ")"}});
  using S = RoomDirectory::ServerMessageStatus;
  const auto result =
      wait_for<RoomDirectory::ServerMessageResult>(directory_timeout_, [&](auto done) {
        context_.directory.send_server_message(room, message->to ? &*message->to : nullptr,
                                               std::move(message->data), std::move(done));
      });
  if (!result) return directory_timed_out(request);
  switch (result->status) {
    case S::delivered:
      spdlog::debug("admin sent a server message to {} peer(s)", result->receivers);
      return respond(http::status::ok, {{"delivered", result->receivers}});
    case S::no_such_room:
      return respond(http::status::not_found, {{"error", "no such room"}});
    case S::no_such_peer:
      return respond(http::status::not_found, {{"error", "`to` is not a peer of the room"}});
    case S::unavailable:
      break;
  }
  return respond(http::status::service_unavailable,
                 {{"error", "the room directory is unavailable (Redis); try again"}});
}

http::message_generator AdminRouter::directory_timed_out(const HttpRequest& request) const {
  spdlog::warn("admin: the room directory did not answer within {} ms", directory_timeout_.count());
  return json_response(
      request, http::status::service_unavailable,
      {{"error", "the room directory did not answer within " +
                     std::to_string(directory_timeout_.count()) + " ms (Redis); try again"}});
}

}  // namespace parley
