// Asio's per-socket reactor state comes from parley's slab (boost_impl.cpp
// specialises how Asio creates and destroys it): opening sockets takes slots,
// and the io_context gives every one back when it goes. The sockets are opened
// and never bound or connected.
#include "base/reactor_state_slab.hpp"

#include <memory>
#include <optional>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/detail/epoll_reactor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

namespace parley {
namespace {

using boost::asio::ip::udp;

TEST(ReactorStateSlab, SocketsOfAnIoContextTakeSlotsAndGiveThemBack) {
  const std::size_t before = ReactorStateSlab::slots_taken();
  std::optional<boost::asio::io_context> io(std::in_place);
  {
    // More than one block's worth (256), so a second block is added.
    std::vector<std::unique_ptr<udp::socket>> sockets;
    for (int i = 0; i < 300; ++i) {
      sockets.push_back(std::make_unique<udp::socket>(*io));
      sockets.back()->open(udp::v4());
    }
    EXPECT_GE(ReactorStateSlab::slots_taken(), before + 300);
  }
  // Closed sockets' states stay in the reactor's own free list for reuse...
  EXPECT_GE(ReactorStateSlab::slots_taken(), before + 300);
  io.reset();
  // ...until the io_context is destroyed.
  EXPECT_EQ(ReactorStateSlab::slots_taken(), before);
}

TEST(ReactorStateSlab, AGivenBackSlotIsReused) {
  // The slab serves one type: Asio's.
  const std::size_t size = sizeof(boost::asio::detail::epoll_reactor::descriptor_state);
  void* first = ReactorStateSlab::take(size);
  ReactorStateSlab::give_back(first);
  void* second = ReactorStateSlab::take(size);
  EXPECT_EQ(first, second);
  ReactorStateSlab::give_back(second);
}

}  // namespace
}  // namespace parley
