#include "ops/admin_router.hpp"

#include <openssl/crypto.h>

#include <future>

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

// The answer of a directory query. The in-process directory completes inline;
// another completes on its own thread while this admin request waits (admin
// requests are rare, and never on a session's strand).
template <class T, class Query>
T wait_for(Query&& query) {
  std::promise<T> promise;
  auto answer = promise.get_future();
  query([&promise](T value) { promise.set_value(std::move(value)); });
  return answer.get();
}

bool token_matches(std::string_view header, const std::string& token) {
  constexpr std::string_view kScheme = "Bearer ";
  if (header.size() != kScheme.size() + token.size() || !header.starts_with(kScheme)) return false;
  return CRYPTO_memcmp(header.data() + kScheme.size(), token.data(), token.size()) == 0;
}

}  // namespace

http::message_generator AdminRouter::handle(const HttpRequest& request) {
  auto parsed = boost::urls::parse_origin_form(request.target());
  if (!parsed) return text_response(request, http::status::bad_request, "malformed target\n");
  std::vector<std::string> segments;
  for (auto segment : parsed->segments()) segments.push_back(segment);  // percent-decoded
  const auto method = request.method();
  auto json_response = [&](http::status status, const json& body) {
    return text_response(request, status,
                         body.dump(-1, ' ', false, json::error_handler_t::replace) + "\n",
                         "application/json");
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
        [&](auto done) { context_.directory.rooms(std::move(done)); });
    for (const auto& room : all) rooms.push_back(room_json(room));
    return json_response(http::status::ok, rooms);
  }
  if (segments.size() == 3 && segments[1] == "rooms") {
    if (get) {
      const auto room = wait_for<std::optional<RoomInfo>>(
          [&](auto done) { context_.directory.room(segments[2], std::move(done)); });
      if (!room) return json_response(http::status::not_found, {{"error", "no such room"}});
      return json_response(http::status::ok, room_json(*room));
    }
    if (method == http::verb::delete_) {
      if (!wait_for<bool>(
              [&](auto done) { context_.directory.kick_room(segments[2], std::move(done)); }))
        return json_response(http::status::not_found, {{"error", "no such room"}});
      spdlog::info("admin closed a room");
      return json_response(http::status::ok, {{"closed", segments[2]}});
    }
  }
  if (segments.size() == 3 && segments[1] == "peers" && method == http::verb::delete_) {
    if (!wait_for<bool>(
            [&](auto done) { context_.directory.kick_peer(segments[2], std::move(done)); }))
      return json_response(http::status::not_found, {{"error", "no such peer in a room"}});
    spdlog::info("admin removed a peer");
    return json_response(http::status::ok, {{"removed", segments[2]}});
  }
  if (segments.size() == 2 && segments[1] == "reload" && method == http::verb::post) {
    if (!context_.reload || !context_.reload())
      return json_response(http::status::internal_server_error,
                           {{"error", "reload failed: the old configuration stays (see the log)"}});
    return json_response(http::status::ok, {{"reloaded", true}});
  }
  return text_response(request, http::status::not_found, "not found\n");
}

}  // namespace parley
