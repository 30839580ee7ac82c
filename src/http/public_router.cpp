#include "http/public_router.hpp"

#include <spdlog/spdlog.h>
#include <boost/beast/http.hpp>

#include "http/static_response.hpp"
#include "net/handshake.hpp"
#include "net/http_responses.hpp"

namespace parley {

namespace beast = boost::beast;
namespace http = beast::http;

namespace {

std::string_view path_of(std::string_view target) {
  return target.substr(0, target.find('?'));
}

}  // namespace

WsLimits ws_limits_from(const Config& config) {
  WsLimits limits;
  limits.max_message_bytes = config.limits.max_message_bytes;
  limits.max_send_queue_bytes = config.limits.max_send_queue_bytes;
  limits.handshake_timeout = config.limits.handshake_timeout;
  limits.ping_interval = config.heartbeat.ping_interval;
  limits.ping_timeout = config.heartbeat.ping_timeout;
  return limits;
}

PublicRouter::PublicRouter(NetContext& context) : context_(context) {}

void PublicRouter::add_dialect(std::string path, bool subtree, HttpRouter& endpoint) {
  dialects_.push_back({std::move(path), subtree, &endpoint});
}

bool PublicRouter::route(TcpStream& stream, HttpRequest&& request, const RequestContext& ctx,
                         Respond respond) {
  return route_any(stream, std::move(request), ctx, std::move(respond));
}

bool PublicRouter::route(TlsStream& stream, HttpRequest&& request, const RequestContext& ctx,
                         Respond respond) {
  return route_any(stream, std::move(request), ctx, std::move(respond));
}

template <class Stream>
bool PublicRouter::route_any(Stream& stream, HttpRequest&& request, const RequestContext& ctx,
                             Respond respond) {
  const std::string_view path = path_of(request.target());
  for (const auto& dialect : dialects_) {
    const bool match = path == dialect.path ||
                       (dialect.subtree && path.size() > dialect.path.size() &&
                        path.starts_with(dialect.path) && path[dialect.path.size()] == '/');
    if (match) return dialect.endpoint->route(stream, std::move(request), ctx, std::move(respond));
  }
  respond(handle_plain(request));
  return false;
}

std::variant<http::message_generator, ConnectionLimiter::Slot> PublicRouter::admit_websocket(
    const HttpRequest& request, const RequestContext& ctx, const Config& config) {
  if (auto refused = check_websocket_upgrade(request)) {
    http::response<http::string_body> res{static_cast<http::status>(refused->status),
                                          request.version()};
    res.set(http::field::server, "parley");
    res.set(http::field::content_type, "text/plain; charset=utf-8");
    if (refused->send_version_header) res.set(http::field::sec_websocket_version, "13");
    res.keep_alive(false);
    res.body() = refused->reason + "\n";
    res.prepare_payload();
    return http::message_generator(std::move(res));
  }
  auto closed = [&](http::status status, std::string body) {
    auto res = text_response(request, status, std::move(body));
    return res;
  };
  if (context_.draining.load())
    return closed(http::status::service_unavailable, "the server is shutting down\n");
  const auto origin = request[http::field::origin];
  if (!config.origin_allowed(origin)) {
    spdlog::debug("refused a WebSocket from {}: origin not allowed", ctx.remote_address);
    return closed(http::status::forbidden, "origin not allowed\n");
  }
  auto slot = context_.limiter.try_acquire(ctx.remote_address, config.limits.max_connections,
                                           config.limits.max_connections_per_ip);
  if (!slot) return closed(http::status::service_unavailable, "too many connections\n");
  return slot;
}

http::message_generator PublicRouter::handle_plain(const HttpRequest& request) {
  const std::string_view path = path_of(request.target());
  const bool get = request.method() == http::verb::get || request.method() == http::verb::head;
  if (path == "/healthz" && get) return text_response(request, http::status::ok, "ok\n");
  if (path == "/readyz" && get) {
    if (context_.draining.load() || (ready_ && !ready_()))
      return text_response(request, http::status::service_unavailable, "not ready\n");
    return text_response(request, http::status::ok, "ready\n");
  }
  if (!get) return text_response(request, http::status::method_not_allowed, "method not allowed\n");

  return static_file_response(request, context_.config()->static_dir);
}

}  // namespace parley
