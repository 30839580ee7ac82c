#include "dialects/socketio/socketio_endpoint.hpp"

#include <spdlog/spdlog.h>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>

#include "base/ids.hpp"
#include "dialects/socketio/socketio_http.hpp"
#include "dialects/socketio/socketio_packets.hpp"
#include "dialects/socketio/socketio_ws_link.hpp"
#include "http/static_response.hpp"
#include "net/http_responses.hpp"

namespace parley {

namespace beast = boost::beast;
namespace http = beast::http;
using engineio::HttpErrorCode;

namespace {

// Engine.IO's query parameters; other ones (`t`, the client's cache buster,
// `b64`, an application's own) are ignored.
struct EngineQuery {
  std::string eio;
  std::string transport;
  std::string sid;
};

}  // namespace

SocketioEndpoint::SocketioEndpoint(ServerContext& context, PublicRouter& admission)
    : context_(context), admission_(admission) {}

SocketioEndpoint::~SocketioEndpoint() = default;

bool SocketioEndpoint::route(TcpStream& stream, HttpRequest&& request, const RequestContext& ctx,
                             Respond respond) {
  return route_any(stream, std::move(request), ctx, std::move(respond));
}

bool SocketioEndpoint::route(TlsStream& stream, HttpRequest&& request, const RequestContext& ctx,
                             Respond respond) {
  return route_any(stream, std::move(request), ctx, std::move(respond));
}

template <class Stream>
bool SocketioEndpoint::route_any(Stream& stream, HttpRequest&& request, const RequestContext& ctx,
                                 Respond respond) {
  const auto config = context_.config();
  const bool origin_allowed = config->origin_allowed(request[http::field::origin]);
  auto refuse = [&](http::status status, HttpErrorCode code, std::string_view message = {}) {
    PollRequest::from(request, origin_allowed, std::move(respond))
        .answer_error(status, code, message);
    return false;
  };

  const auto target = boost::urls::parse_origin_form(request.target());
  if (!target) return refuse(http::status::bad_request, HttpErrorCode::bad_request);
  const auto path = target->encoded_path();
  if (path != "/socket.io/" && path != "/socket.io") {
    respond(static_file_response(request, config->static_dir));  // the client library
    return false;
  }
  if (request.method() == http::verb::options) {
    respond(socketio_preflight_response(request, origin_allowed));
    return false;
  }

  EngineQuery query;
  for (const auto& param : target->params()) {
    if (param.key == "EIO")
      query.eio = param.value;
    else if (param.key == "transport")
      query.transport = param.value;
    else if (param.key == "sid")
      query.sid = param.value;
  }
  // EIO=3 is socket.io v2's protocol (and a missing EIO, v1's): their packets
  // differ, so they are refused as engine.io refuses them.
  if (query.eio != "4")
    return refuse(http::status::bad_request, HttpErrorCode::unsupported_protocol_version);
  if (query.transport == "websocket")
    return route_websocket(stream, std::move(request), ctx, query.sid, respond);
  if (query.transport != "polling")
    return refuse(http::status::bad_request, HttpErrorCode::unknown_transport);
  if (!origin_allowed) return refuse(http::status::forbidden, HttpErrorCode::forbidden);
  route_polling(std::move(request), ctx, query.sid, std::move(respond));
  return false;
}

template <class Stream>
bool SocketioEndpoint::route_websocket(Stream& stream, HttpRequest&& request,
                                       const RequestContext& ctx, const std::string& sid,
                                       Respond& respond) {
  auto config = context_.config();
  auto admitted = admission_.admit_websocket(request, ctx, *config);
  if (auto* refused = std::get_if<http::message_generator>(&admitted)) {
    context_.metrics.handshake_rejections_total.fetch_add(1, std::memory_order_relaxed);
    respond(std::move(*refused));
    return false;
  }
  auto slot = std::move(std::get<ConnectionLimiter::Slot>(admitted));
  std::shared_ptr<SocketioWsLink> link;
  if (sid.empty()) {
    link = SocketioWsLink::direct(
        [this, config] { return make_session(config, EngineioSession::Start::websocket, {}); });
  } else {
    auto session = find(sid);
    auto poll = PollRequest::from(request, true, std::move(respond));
    if (!session) {
      poll.answer_error(http::status::bad_request, HttpErrorCode::unknown_sid);
      return false;
    }
    if (!session->claim_upgrade()) {
      poll.answer_error(http::status::bad_request, HttpErrorCode::bad_request,
                        "this session cannot upgrade");
      return false;
    }
    link = SocketioWsLink::probe(std::move(session));
  }
  WsLimits limits = ws_limits_from(*config);
  limits.counts_as_new_connection = sid.empty();  // an upgrade continues a counted session
  start_websocket(std::move(stream), std::move(request), std::move(slot), std::move(link), limits,
                  context_, ctx.remote_address);
  return true;
}

void SocketioEndpoint::route_polling(HttpRequest&& request, const RequestContext& ctx,
                                     const std::string& sid, Respond respond) {
  const auto config = context_.config();
  auto poll = PollRequest::from(request, true, std::move(respond));
  if (sid.empty()) {
    if (request.method() != http::verb::get)
      return poll.answer_error(http::status::bad_request, HttpErrorCode::bad_handshake_method);
    if (context_.draining.load())
      return poll.answer_error(http::status::service_unavailable, HttpErrorCode::bad_request,
                               "the server is shutting down");
    auto slot = context_.limiter.try_acquire(ctx.remote_address, config->limits.max_connections,
                                             config->limits.max_connections_per_ip);
    if (!slot) {
      context_.metrics.handshake_rejections_total.fetch_add(1, std::memory_order_relaxed);
      return poll.answer_error(http::status::service_unavailable, HttpErrorCode::bad_request,
                               "too many connections");
    }
    make_session(config, EngineioSession::Start::polling, std::move(slot))
        ->handshake(std::move(poll));
    return;
  }
  auto session = find(sid);
  if (!session) return poll.answer_error(http::status::bad_request, HttpErrorCode::unknown_sid);
  if (request.method() == http::verb::get) return session->poll(std::move(poll));
  if (request.method() == http::verb::post)
    return session->post(std::move(poll), std::move(request.body()));
  poll.answer_error(http::status::bad_request, HttpErrorCode::bad_request);
}

std::shared_ptr<EngineioSession> SocketioEndpoint::make_session(
    std::shared_ptr<const Config> config, EngineioSession::Start start,
    ConnectionLimiter::Slot slot) {
  auto session = std::make_shared<EngineioSession>(context_, std::move(config), random_peer_id(),
                                                   start, std::move(slot),
                                                   [this](const std::string& sid) { forget(sid); });
  std::lock_guard lock(mutex_);
  sessions_.emplace(session->sid(), session);
  return session;
}

std::shared_ptr<EngineioSession> SocketioEndpoint::find(const std::string& sid) const {
  std::lock_guard lock(mutex_);
  const auto it = sessions_.find(sid);
  return it == sessions_.end() ? nullptr : it->second;
}

void SocketioEndpoint::forget(const std::string& sid) {
  std::shared_ptr<EngineioSession> gone;  // destroyed outside the lock
  std::lock_guard lock(mutex_);
  const auto it = sessions_.find(sid);
  if (it == sessions_.end()) return;
  gone = std::move(it->second);
  sessions_.erase(it);
}

std::size_t SocketioEndpoint::session_count() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

void SocketioEndpoint::abandon_sessions() {
  std::unordered_map<std::string, std::shared_ptr<EngineioSession>> sessions;
  {
    std::lock_guard lock(mutex_);
    sessions.swap(sessions_);
  }
  for (auto& [sid, session] : sessions) session->abandon();
}

}  // namespace parley
