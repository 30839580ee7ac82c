// The layer that lets a plain session's queued messages leave in one send:
// held writes complete without touching the socket, the next write that is not
// held sends them all, in order, and an idle stream holds nothing.
#include "net/coalescing_stream.hpp"

#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>

namespace parley {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;

struct Pair {
  net::io_context ioc;
  tcp::socket client{ioc};
  tcp::socket server{ioc};

  Pair() {
    tcp::acceptor acceptor(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    client.connect(acceptor.local_endpoint());
    server = acceptor.accept();
  }
};

// Bytes the client can read right now, without waiting.
std::string available(tcp::socket& socket) {
  socket.non_blocking(true);
  std::string out;
  char chunk[4096];
  boost::system::error_code ec;
  for (;;) {
    const std::size_t n = socket.read_some(net::buffer(chunk), ec);
    if (ec) break;
    out.append(chunk, n);
  }
  return out;
}

TEST(CoalescingStream, HeldWritesWaitForTheNextWriteThatIsNot) {
  Pair pair;
  CoalescingStream stream(std::move(pair.server));
  std::vector<std::size_t> completed;
  auto write = [&](const std::string& text, bool hold) {
    stream.hold(hold);
    stream.async_write_some(net::buffer(text),
                            [&completed](boost::system::error_code ec, std::size_t n) {
                              EXPECT_FALSE(ec);
                              completed.push_back(n);
                            });
    pair.ioc.run();
    pair.ioc.restart();
  };
  const std::string a = "first ", b = "second ", c = "third";
  write(a, true);
  write(b, true);
  // Both writes completed, with their full sizes, and nothing was sent yet.
  EXPECT_EQ(completed, (std::vector<std::size_t>{a.size(), b.size()}));
  EXPECT_TRUE(stream.holding_bytes());
  EXPECT_EQ(available(pair.client), "");
  write(c, false);
  EXPECT_EQ(completed.back(), c.size());
  EXPECT_FALSE(stream.holding_bytes());
  std::string got(a.size() + b.size() + c.size(), '\0');
  pair.client.non_blocking(false);
  net::read(pair.client, net::buffer(got));
  EXPECT_EQ(got, a + b + c);
}

TEST(CoalescingStream, AHeldWriteBeyondTheBoundIsSentAtOnce) {
  Pair pair;
  CoalescingStream stream(std::move(pair.server));
  const std::string big(CoalescingStream::kMaxPendingBytes + 1, 'x');
  stream.hold(true);
  bool done = false;
  stream.async_write_some(net::buffer(big), [&done](boost::system::error_code ec, std::size_t) {
    EXPECT_FALSE(ec);
    done = true;
  });
  std::string got(big.size(), '\0');
  std::thread reader([&] { net::read(pair.client, net::buffer(got)); });
  pair.ioc.run();
  reader.join();
  EXPECT_TRUE(done);
  EXPECT_FALSE(stream.holding_bytes());
  EXPECT_EQ(got, big);
}

TEST(CoalescingStream, WritesAfterTheClientWentAwayFail) {
  Pair pair;
  CoalescingStream stream(std::move(pair.server));
  pair.client.close();
  const std::string text(1 << 20, 'y');  // more than the socket buffers take
  boost::system::error_code result;
  stream.hold(false);
  // The first send may still be accepted by the kernel; keep writing until
  // the reset shows.
  for (int i = 0; i < 64 && !result; ++i) {
    stream.async_write_some(net::buffer(text),
                            [&result](boost::system::error_code ec, std::size_t) { result = ec; });
    pair.ioc.run();
    pair.ioc.restart();
  }
  EXPECT_TRUE(result);
}

}  // namespace
}  // namespace parley
