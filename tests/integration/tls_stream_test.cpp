// parley's own server-side TLS stream (src/net/tls_stream.hpp) against
// Asio's OpenSSL client on real sockets: the handshake, small, big and
// fragmented records both ways, a peer that closes mid-record, close_notify,
// a handshake that never completes (the next layer's deadline ends it), a
// WebSocket over it, and idle streams that hold no buffers.
#include "net/tls_stream.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "net/tls_context.hpp"
#include "harness.hpp"

namespace parley::test {
namespace {

namespace net = boost::asio;
namespace ssl = net::ssl;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;
using ServerStream = LeanTlsStream<tcp::socket>;

// Every write of the client's socket carries at most `max_write` bytes (with
// TCP_NODELAY): the server sees records arrive in small pieces.
class TrickleSocket {
 public:
  using executor_type = tcp::socket::executor_type;
  using next_layer_type = tcp::socket;
  using lowest_layer_type = tcp::socket::lowest_layer_type;

  TrickleSocket(tcp::socket&& socket, std::size_t max_write)
      : socket_(std::move(socket)), max_write_(max_write) {
    socket_.set_option(tcp::no_delay(true));
  }
  executor_type get_executor() { return socket_.get_executor(); }
  tcp::socket& next_layer() { return socket_; }
  lowest_layer_type& lowest_layer() { return socket_.lowest_layer(); }

  template <class Buffers, class Handler>
  auto async_read_some(const Buffers& buffers, Handler&& handler) {
    return socket_.async_read_some(buffers, std::forward<Handler>(handler));
  }
  template <class Buffers, class Handler>
  auto async_write_some(const Buffers& buffers, Handler&& handler) {
    net::const_buffer first;
    for (auto it = net::buffer_sequence_begin(buffers); it != net::buffer_sequence_end(buffers);
         ++it)
      if (net::buffer_size(*it) != 0) {
        first = *it;
        break;
      }
    return socket_.async_write_some(net::buffer(first, max_write_), std::forward<Handler>(handler));
  }

 private:
  tcp::socket socket_;
  std::size_t max_write_;
};

class TlsStreamTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { cert_ = new DevCert("stream"); }
  static void TearDownTestSuite() {
    delete cert_;
    cert_ = nullptr;
  }

  TlsStreamTest()
      : server_context_(make_tls_context(cert_->cert, cert_->key)),
        client_context_(ssl::context::tls_client),
        acceptor_(ioc_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)) {
    client_context_.load_verify_file(cert_->cert);
    client_context_.set_verify_mode(ssl::verify_peer);
  }

  // A connected pair of TCP sockets: the client's, the server's.
  std::pair<tcp::socket, tcp::socket> connect() {
    tcp::socket client(ioc_);
    client.connect(acceptor_.local_endpoint());
    return {std::move(client), acceptor_.accept()};
  }

  // Runs the loop until `done` holds (bounded: a hang fails the test).
  template <class Condition>
  void run_until(Condition done) {
    ioc_.restart();
    for (int i = 0; i < 20000 && !done(); ++i) ioc_.run_for(std::chrono::milliseconds(1));
    ASSERT_TRUE(done()) << "timed out";
  }

  // Handshakes a server stream with an Asio client on `client_next`.
  template <class ClientNext>
  void handshake(ServerStream& server, ssl::stream<ClientNext>& client) {
    SSL_set_tlsext_host_name(client.native_handle(), "localhost");
    SSL_set1_host(client.native_handle(), "localhost");
    std::optional<error_code> server_ec, client_ec;
    server.async_handshake([&](error_code ec) { server_ec = ec; });
    client.async_handshake(ssl::stream_base::client, [&](error_code ec) { client_ec = ec; });
    run_until([&] { return server_ec && client_ec; });
    ASSERT_FALSE(*server_ec) << server_ec->message();
    ASSERT_FALSE(*client_ec) << client_ec->message();
  }

  static DevCert* cert_;
  net::io_context ioc_;
  std::shared_ptr<ssl::context> server_context_;
  ssl::context client_context_;
  tcp::acceptor acceptor_;
};
DevCert* TlsStreamTest::cert_ = nullptr;

std::string pattern(std::size_t size) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return s;
}

TEST_F(TlsStreamTest, HandshakesAndCarriesBytesBothWaysVerifiedByTheClient) {
  auto [c, s] = connect();
  ServerStream server(std::move(s), *server_context_);
  ssl::stream<tcp::socket> client(std::move(c), client_context_);
  handshake(server, client);

  const std::string hello = "hello from the client";
  std::string got(hello.size(), '\0');
  std::optional<error_code> read_ec, write_ec;
  net::async_read(server, net::buffer(got), [&](error_code ec, std::size_t) { read_ec = ec; });
  net::async_write(client, net::buffer(hello), [&](error_code ec, std::size_t) { write_ec = ec; });
  run_until([&] { return read_ec && write_ec; });
  EXPECT_FALSE(*read_ec);
  EXPECT_EQ(got, hello);

  const std::string answer = "and the server's answer";
  std::string back(answer.size(), '\0');
  read_ec.reset();
  write_ec.reset();
  net::async_write(server, net::buffer(answer), [&](error_code ec, std::size_t) { write_ec = ec; });
  net::async_read(client, net::buffer(back), [&](error_code ec, std::size_t) { read_ec = ec; });
  run_until([&] { return read_ec && write_ec; });
  EXPECT_FALSE(*write_ec);
  EXPECT_EQ(back, answer);
  EXPECT_EQ(server.held_buffer_bytes(), 0u);
}

TEST_F(TlsStreamTest, BigMessagesCrossBothWaysInManyRecords) {
  auto [c, s] = connect();
  ServerStream server(std::move(s), *server_context_);
  ssl::stream<tcp::socket> client(std::move(c), client_context_);
  handshake(server, client);

  const std::string big = pattern(300 * 1024 + 17);
  std::string at_server(big.size(), '\0'), at_client(big.size(), '\0');
  int done = 0;
  auto count = [&](error_code ec, std::size_t n) {
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(n, big.size());
    ++done;
  };
  // Both directions at once: the server has a read and a write in flight.
  net::async_read(server, net::buffer(at_server), count);
  net::async_write(server, net::buffer(big), count);
  net::async_write(client, net::buffer(big), count);
  net::async_read(client, net::buffer(at_client), count);
  run_until([&] { return done == 4; });
  EXPECT_EQ(at_server, big);
  EXPECT_EQ(at_client, big);
  EXPECT_EQ(server.held_buffer_bytes(), 0u);
}

TEST_F(TlsStreamTest, RecordsThatArriveInPiecesAreReadWhole) {
  auto [c, s] = connect();
  ServerStream server(std::move(s), *server_context_);
  // The handshake and every record from the client come 3 bytes per segment.
  ssl::stream<TrickleSocket> client(TrickleSocket(std::move(c), 3), client_context_);
  handshake(server, client);

  const std::string message = pattern(5000);
  std::string got(message.size(), '\0');
  std::optional<error_code> read_ec, write_ec;
  net::async_read(server, net::buffer(got), [&](error_code ec, std::size_t) { read_ec = ec; });
  net::async_write(client, net::buffer(message),
                   [&](error_code ec, std::size_t) { write_ec = ec; });
  run_until([&] { return read_ec && write_ec; });
  EXPECT_FALSE(*read_ec) << read_ec->message();
  EXPECT_EQ(got, message);
  EXPECT_EQ(server.held_buffer_bytes(), 0u);
}

TEST_F(TlsStreamTest, APeerThatClosesMidRecordEndsTheReadTruncatedAndLeavesNothingHeld) {
  auto [c, s] = connect();
  ServerStream server(std::move(s), *server_context_);
  ssl::stream<tcp::socket> client(std::move(c), client_context_);
  handshake(server, client);

  // A record header announcing 1000 bytes, then 10 of them, then the close.
  std::optional<error_code> read_ec;
  char byte;
  server.async_read_some(net::buffer(&byte, 1), [&](error_code ec, std::size_t) { read_ec = ec; });
  const std::string partial = std::string("\x17\x03\x03\x03\xe8", 5) + std::string(10, 'x');
  net::write(client.next_layer(), net::buffer(partial));
  run_until([&] { return server.held_buffer_bytes() > 0; });  // the body is being read
  client.next_layer().close();
  run_until([&] { return read_ec.has_value(); });
  // Truncated, or reset when the client closed with the server's session
  // tickets still unread in its socket.
  EXPECT_TRUE(*read_ec == ssl::error::stream_truncated || *read_ec == net::error::connection_reset)
      << read_ec->message();
  EXPECT_EQ(server.held_buffer_bytes(), 0u);
}

TEST_F(TlsStreamTest, CloseNotifyBothWays) {
  auto [c, s] = connect();
  ServerStream server(std::move(s), *server_context_);
  ssl::stream<tcp::socket> client(std::move(c), client_context_);
  handshake(server, client);

  // The client's close_notify ends the server's read with eof (not truncated).
  std::optional<error_code> read_ec, client_ec, server_ec;
  char byte;
  server.async_read_some(net::buffer(&byte, 1), [&](error_code ec, std::size_t) { read_ec = ec; });
  client.async_shutdown([&](error_code ec) { client_ec = ec; });
  run_until([&] { return read_ec.has_value(); });
  EXPECT_EQ(*read_ec, net::error::eof) << read_ec->message();
  // The server answers with its own; both shutdowns complete.
  server.async_shutdown([&](error_code ec) { server_ec = ec; });
  run_until([&] { return client_ec && server_ec; });
  EXPECT_FALSE(*client_ec) << client_ec->message();
  EXPECT_FALSE(*server_ec) << server_ec->message();
}

TEST_F(TlsStreamTest, AHandshakeThatNeverCompletesEndsAtTheNextLayersDeadline) {
  auto [c, s] = connect();
  LeanTlsStream<beast::tcp_stream> server(beast::tcp_stream(std::move(s)), *server_context_);
  // The client sends the start of a record and then nothing.
  net::write(c, net::buffer(std::string("\x16\x03\x01\x02\x00\x01", 6)));
  beast::get_lowest_layer(server).expires_after(std::chrono::milliseconds(200));
  std::optional<error_code> server_ec;
  server.async_handshake([&](error_code ec) { server_ec = ec; });
  run_until([&] { return server_ec.has_value(); });
  EXPECT_EQ(*server_ec, beast::error::timeout) << server_ec->message();
  EXPECT_EQ(server.held_buffer_bytes(), 0u);
}

TEST_F(TlsStreamTest, PlainHttpOnTheTlsStreamFailsTheHandshakeAtOnce) {
  auto [c, s] = connect();
  ServerStream server(std::move(s), *server_context_);
  net::write(c, net::buffer(std::string("GET / HTTP/1.1\r\nHost: x\r\n\r\n")));
  std::optional<error_code> server_ec;
  server.async_handshake([&](error_code ec) { server_ec = ec; });
  run_until([&] { return server_ec.has_value(); });
  EXPECT_TRUE(*server_ec);
  EXPECT_EQ(server_ec->category(), net::error::get_ssl_category()) << server_ec->message();
}

TEST_F(TlsStreamTest, AWebSocketRunsOverItAndClosesCleanly) {
  auto [c, s] = connect();
  websocket::stream<ServerStream> server(std::move(s), *server_context_);
  websocket::stream<ssl::stream<tcp::socket>> client(std::move(c), client_context_);
  handshake(server.next_layer(), client.next_layer());

  std::optional<error_code> accept_ec, client_ec;
  server.async_accept([&](error_code ec) { accept_ec = ec; });
  client.async_handshake("localhost", "/", [&](error_code ec) { client_ec = ec; });
  run_until([&] { return accept_ec && client_ec; });
  ASSERT_FALSE(*accept_ec) << accept_ec->message();
  ASSERT_FALSE(*client_ec) << client_ec->message();

  beast::flat_buffer at_server, at_client;
  const std::string text = pattern(70000);
  std::optional<error_code> read_ec, write_ec;
  server.async_read(at_server, [&](error_code ec, std::size_t) { read_ec = ec; });
  client.async_write(net::buffer(text), [&](error_code ec, std::size_t) { write_ec = ec; });
  run_until([&] { return read_ec && write_ec; });
  ASSERT_FALSE(*read_ec) << read_ec->message();
  EXPECT_EQ(beast::buffers_to_string(at_server.data()), text);

  // The server closes: close frames both ways, then close_notify and the
  // TCP teardown.
  std::optional<error_code> close_ec, client_read_ec;
  client.async_read(at_client, [&](error_code ec, std::size_t) { client_read_ec = ec; });
  server.async_close(websocket::close_code::normal, [&](error_code ec) { close_ec = ec; });
  run_until([&] { return close_ec && client_read_ec; });
  EXPECT_FALSE(*close_ec) << close_ec->message();
  EXPECT_EQ(*client_read_ec, websocket::error::closed);
  EXPECT_FALSE(server.next_layer().next_layer().is_open());
}

TEST_F(TlsStreamTest, IdleStreamsHoldNoBuffers) {
  constexpr int kSessions = 40;
  std::vector<std::unique_ptr<ServerStream>> servers;
  std::vector<std::unique_ptr<ssl::stream<tcp::socket>>> clients;
  std::vector<char> bytes(kSessions);
  int reads_done = 0;
  for (int i = 0; i < kSessions; ++i) {
    auto [c, s] = connect();
    servers.push_back(std::make_unique<ServerStream>(std::move(s), *server_context_));
    clients.push_back(std::make_unique<ssl::stream<tcp::socket>>(std::move(c), client_context_));
    handshake(*servers.back(), *clients.back());
    // One message each way, then the server waits for the next byte, as an
    // idle session does.
    net::write(*clients.back(), net::buffer(std::string("x")));
    static const std::string pong = "pong";
    net::async_write(*servers.back(), net::buffer(pong),
                     [](error_code ec, std::size_t) { EXPECT_FALSE(ec); });
    servers.back()->async_read_some(net::buffer(&bytes[i], 1), [&](error_code ec, std::size_t) {
      EXPECT_FALSE(ec);
      ++reads_done;
    });
  }
  run_until([&] { return reads_done == kSessions; });
  // Every session now waits in a read with nothing in flight.
  std::vector<std::optional<error_code>> results(kSessions);
  for (int i = 0; i < kSessions; ++i)
    servers[i]->async_read_some(net::buffer(&bytes[i], 1),
                                [&results, i](error_code ec, std::size_t) { results[i] = ec; });
  ioc_.restart();
  ioc_.poll();
  for (auto& server : servers) EXPECT_EQ(server->held_buffer_bytes(), 0u);
  // And a message after the idle time still arrives.
  net::write(*clients[0], net::buffer(std::string("y")));
  run_until([&] { return results[0].has_value(); });
  EXPECT_FALSE(*results[0]);
  EXPECT_EQ(bytes[0], 'y');
  for (auto& server : servers) server->next_layer().close();
  run_until([&] {
    for (auto& r : results)
      if (!r) return false;
    return true;
  });
}

}  // namespace
}  // namespace parley::test
