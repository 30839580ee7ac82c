#include "connection.hpp"

#include "connection_factories.hpp"

namespace loadgen {

std::shared_ptr<Connection> make_connection(boost::asio::io_context& io, const Endpoint& endpoint,
                                            TlsClientContext* tls, ConnectionHandler& handler) {
  if (endpoint.transport == Transport::kFramedTcp) {
    return make_framed_connection(io, endpoint, handler);
  }
  return make_websocket_connection(io, endpoint, tls, handler);
}

}  // namespace loadgen
