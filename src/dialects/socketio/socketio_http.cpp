#include "dialects/socketio/socketio_http.hpp"

#include <boost/beast/http.hpp>

namespace parley {

namespace http = boost::beast::http;

namespace {

void add_cors_headers(http::response_header<>& res, std::string_view origin) {
  if (origin.empty()) return;
  res.set(http::field::access_control_allow_origin, origin);
  // socket.io-client's `withCredentials` sends cookies; allowing them is what
  // engine.io's `cors: {credentials: true}` does for a listed origin.
  res.set(http::field::access_control_allow_credentials, "true");
  res.set(http::field::vary, "Origin");
}

}  // namespace

PollRequest PollRequest::from(const HttpRequest& request, bool origin_allowed, Respond respond) {
  PollRequest poll;
  poll.version = request.version();
  poll.keep_alive = request.keep_alive();
  if (origin_allowed) poll.allow_origin = std::string(request[http::field::origin]);
  poll.respond = std::move(respond);
  return poll;
}

void PollRequest::answer(http::status status, std::string body, std::string_view content_type) {
  http::response<http::string_body> res{status, version};
  res.set(http::field::server, "parley");
  res.set(http::field::content_type, content_type);
  res.set(http::field::cache_control, "no-store");
  res.set("X-Content-Type-Options", "nosniff");
  add_cors_headers(res.base(), allow_origin);
  res.keep_alive(keep_alive);
  res.body() = std::move(body);
  res.prepare_payload();
  auto respond_once = std::move(respond);
  respond = nullptr;
  if (respond_once) respond_once(std::move(res));
}

void PollRequest::answer_error(http::status status, engineio::HttpErrorCode code,
                               std::string_view message) {
  answer(status, engineio::http_error_body(code, message), "application/json");
}

http::message_generator socketio_preflight_response(const HttpRequest& request,
                                                    bool origin_allowed) {
  http::response<http::empty_body> res{http::status::no_content, request.version()};
  res.set(http::field::server, "parley");
  if (origin_allowed) {
    add_cors_headers(res.base(), request[http::field::origin]);
    res.set(http::field::access_control_allow_methods, "GET, POST, OPTIONS");
    const auto asked = request[http::field::access_control_request_headers];
    if (!asked.empty()) res.set(http::field::access_control_allow_headers, asked);
    res.set(http::field::access_control_max_age, "86400");
  }
  res.keep_alive(request.keep_alive());
  res.prepare_payload();
  return res;
}

}  // namespace parley
