#include "dialects/socketio/socketio_ws_link.hpp"

#include <boost/asio/post.hpp>

#include "dialects/socketio/engineio_session.hpp"

namespace parley {

std::shared_ptr<SocketioWsLink> SocketioWsLink::direct(SessionFactory make_session) {
  std::shared_ptr<SocketioWsLink> link(new SocketioWsLink());
  link->make_session_ = std::move(make_session);
  return link;
}

std::shared_ptr<SocketioWsLink> SocketioWsLink::probe(std::shared_ptr<EngineioSession> session) {
  std::shared_ptr<SocketioWsLink> link(new SocketioWsLink());
  link->session_ = std::move(session);
  return link;
}

void SocketioWsLink::on_open(WsTransport& transport) {
  transport_ = &transport;
  executor_ = transport.executor();
  if (make_session_) {
    session_ = make_session_();
    make_session_ = nullptr;
  }
  if (session_) session_->websocket_opened(shared_from_this());
}

void SocketioWsLink::on_message(std::string_view text) {
  if (session_) session_->websocket_message(shared_from_this(), std::string(text));
}

void SocketioWsLink::on_closed(CloseKind kind) {
  transport_ = nullptr;
  if (auto session = std::move(session_)) session->websocket_closed(shared_from_this(), kind);
}

template <class F>
void SocketioWsLink::on_socket_strand(F&& f) {
  boost::asio::post(executor_, [self = shared_from_this(), f = std::forward<F>(f)]() mutable {
    if (self->transport_) f(*self->transport_);
  });
}

void SocketioWsLink::send(SharedText text) {
  on_socket_strand([text = std::move(text)](WsTransport& transport) mutable {
    transport.send(std::move(text), false);
  });
}

void SocketioWsLink::close(unsigned short code, std::string reason) {
  on_socket_strand([code, reason = std::move(reason)](WsTransport& transport) {
    transport.close(code, reason);
  });
}

void SocketioWsLink::drop() {
  on_socket_strand([](WsTransport& transport) { transport.drop(); });
}

}  // namespace parley
