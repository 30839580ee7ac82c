// The WebSocket under an Engine.IO session (engineio_session.hpp): a
// WsHandler that hands what the socket reads to the session (on the session's
// strand) and carries out what the session sends (on the socket's strand).
// Two kinds: a direct link (`transport=websocket` without a sid) makes its
// session once the handshake succeeds; a probe link
// (`transport=websocket&sid=...`) belongs to an existing polling session that
// it may take over (the Engine.IO upgrade).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>

#include "net/ws_transport.hpp"

namespace parley {

class EngineioSession;

class SocketioWsLink final : public WsHandler, public std::enable_shared_from_this<SocketioWsLink> {
 public:
  using SessionFactory = std::function<std::shared_ptr<EngineioSession>()>;

  static std::shared_ptr<SocketioWsLink> direct(SessionFactory make_session);
  static std::shared_ptr<SocketioWsLink> probe(std::shared_ptr<EngineioSession> session);

  // WsHandler (the socket's strand)
  void on_open(WsTransport& transport) override;
  void on_message(std::string_view text) override;
  void on_closed(CloseKind kind) override;

  // From the session (any thread); carried out on the socket's strand, and
  // ignored once the socket has closed.
  void send(SharedText text);
  void close(unsigned short code, std::string reason);
  void drop();

 private:
  SocketioWsLink() = default;
  template <class F>
  void on_socket_strand(F&& f);

  SessionFactory make_session_;
  // Set in on_open, before the session learns of the link, and never changed,
  // so the session may post to it from its own strand.
  boost::asio::any_io_executor executor_;
  // The socket's strand only.
  WsTransport* transport_ = nullptr;  // valid from on_open until on_closed
  std::shared_ptr<EngineioSession> session_;
};

}  // namespace parley
