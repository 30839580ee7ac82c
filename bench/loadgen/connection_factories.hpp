// The concrete connection kinds behind make_connection (connection.cpp).
#pragma once

#include "connection.hpp"

namespace loadgen {

std::shared_ptr<Connection> make_websocket_connection(boost::asio::io_context& io,
                                                      const Endpoint& endpoint,
                                                      TlsClientContext* tls,
                                                      ConnectionHandler& handler);
std::shared_ptr<Connection> make_framed_connection(boost::asio::io_context& io,
                                                   const Endpoint& endpoint,
                                                   ConnectionHandler& handler);

}  // namespace loadgen
