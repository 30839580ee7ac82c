// Opening a client TCP socket the way every connection kind needs it.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <string>

namespace loadgen {

// Opens `socket` and, when `bind_address` is not empty, binds it there with
// the port left to connect(): IP_BIND_ADDRESS_NO_PORT lets one source address
// serve every destination port instead of reserving a port at bind time.
boost::system::error_code open_client_socket(boost::asio::ip::tcp::socket& socket,
                                             const std::string& bind_address);

}  // namespace loadgen
