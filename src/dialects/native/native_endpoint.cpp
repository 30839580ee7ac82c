#include "dialects/native/native_endpoint.hpp"

#include <boost/beast/http.hpp>

#include "dialects/native/native_session.hpp"

namespace parley {

namespace http = boost::beast::http;

bool NativeEndpoint::route(TcpStream& stream, HttpRequest&& request, const RequestContext& ctx,
                           Respond respond) {
  return route_any(stream, std::move(request), ctx, std::move(respond));
}

bool NativeEndpoint::route(TlsStream& stream, HttpRequest&& request, const RequestContext& ctx,
                           Respond respond) {
  return route_any(stream, std::move(request), ctx, std::move(respond));
}

template <class Stream>
bool NativeEndpoint::route_any(Stream& stream, HttpRequest&& request, const RequestContext& ctx,
                               Respond respond) {
  auto config = context_.config();
  auto admitted = admission_.admit_websocket(request, ctx, *config);
  if (auto* refused = std::get_if<http::message_generator>(&admitted)) {
    context_.metrics.handshake_rejections_total.fetch_add(1, std::memory_order_relaxed);
    respond(std::move(*refused));
    return false;
  }
  auto slot = std::move(std::get<ConnectionLimiter::Slot>(admitted));
  start_websocket(std::move(stream), std::move(request), std::move(slot),
                  std::make_shared<NativeSession>(context_, config), ws_limits_from(*config),
                  context_, ctx.remote_address);
  return true;
}

}  // namespace parley
