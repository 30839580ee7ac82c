// `/socket.io/`: the socket.io compatibility endpoint (protocol-v1 "socket.io
// dialect"), an HttpRouter installed in the public router. It reads Engine.IO's
// query (`EIO`, `transport`, `sid`), refuses what it does not speak (EIO=3 and
// other versions, unknown transports and sessions) with engine.io's JSON error
// bodies, applies the same admission rules as `/ws` (origins, connection
// limits, draining), and hands each request to its session.
//
// Other paths under /socket.io/ are files of static_dir: a page that loads
// `/socket.io/socket.io.js` from its signaling server finds the client library
// once it is copied to <static_dir>/socket.io/.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "dialects/socketio/engineio_session.hpp"
#include "http/public_router.hpp"
#include "net/http_session.hpp"
#include "ops/server_context.hpp"

namespace parley {

class SocketioEndpoint final : public HttpRouter {
 public:
  // `admission` is the public router, whose WebSocket checks apply here too.
  SocketioEndpoint(ServerContext& context, PublicRouter& admission);
  ~SocketioEndpoint() override;
  SocketioEndpoint(const SocketioEndpoint&) = delete;
  SocketioEndpoint& operator=(const SocketioEndpoint&) = delete;

  bool route(TcpStream& stream, HttpRequest&& request, const RequestContext& context,
             Respond respond) override;
  bool route(TlsStream& stream, HttpRequest&& request, const RequestContext& context,
             Respond respond) override;

  // Open Engine.IO sessions (either transport).
  std::size_t session_count() const;

  // For the server's destructor, once no thread runs the event loop: every
  // session lets go of what belongs to the loop and leaves the room directory.
  void abandon_sessions();

 private:
  template <class Stream>
  bool route_any(Stream& stream, HttpRequest&& request, const RequestContext& context,
                 Respond respond);
  template <class Stream>
  bool route_websocket(Stream& stream, HttpRequest&& request, const RequestContext& context,
                       const std::string& sid, Respond& respond);
  void route_polling(HttpRequest&& request, const RequestContext& context, const std::string& sid,
                     Respond respond);

  std::shared_ptr<EngineioSession> make_session(std::shared_ptr<const Config> config,
                                                EngineioSession::Start start,
                                                ConnectionLimiter::Slot slot);
  std::shared_ptr<EngineioSession> find(const std::string& sid) const;
  void forget(const std::string& sid);

  ServerContext& context_;
  PublicRouter& admission_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<EngineioSession>> sessions_;
};

}  // namespace parley
