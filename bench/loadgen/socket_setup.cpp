#include "socket_setup.hpp"

#include <netinet/in.h>

namespace loadgen {

boost::system::error_code open_client_socket(boost::asio::ip::tcp::socket& socket,
                                             const std::string& bind_address) {
  namespace asio = boost::asio;
  boost::system::error_code ec;
  socket.open(asio::ip::tcp::v4(), ec);
  if (ec || bind_address.empty()) return ec;
  using BindNoPort = asio::detail::socket_option::boolean<IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT>;
  socket.set_option(BindNoPort(true), ec);
  if (ec) return ec;
  const auto address = asio::ip::make_address(bind_address, ec);
  if (ec) return ec;
  socket.bind(asio::ip::tcp::endpoint(address, 0), ec);
  return ec;
}

}  // namespace loadgen
