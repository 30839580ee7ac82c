// TLS on the public listener (tls.cert + tls.key): https:// and wss:// with a
// certificate made by scripts/dev-cert, TLS 1.2 or newer only, AEAD cipher
// suites only, the handshake timeout covering the TLS handshake, and a clear
// startup error for a missing or mismatched certificate or key.
#include <gtest/gtest.h>

#include <openssl/ssl.h>

#include <cstdlib>
#include <filesystem>

#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "harness.hpp"
#include "rooms/room_directory.hpp"

namespace parley::test {
namespace {

namespace fs = std::filesystem;
namespace net = boost::asio;
namespace ssl = net::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

class HardeningTls : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { cert_ = new DevCert("suite"); }
  static void TearDownTestSuite() {
    delete cert_;
    cert_ = nullptr;
  }
  Config tls_config() const {
    Config config = test_config();
    config.tls.cert = cert_->cert;
    config.tls.key = cert_->key;
    config.limits.handshake_timeout = 0.5;
    return config;
  }
  // A client context that trusts exactly the dev certificate.
  static ssl::context client_context() {
    ssl::context context(ssl::context::tls_client);
    context.load_verify_file(cert_->cert);
    context.set_verify_mode(ssl::verify_peer);
    return context;
  }
  static DevCert* cert_;
};
DevCert* HardeningTls::cert_ = nullptr;

// Connects and runs the TLS handshake (host name checked: "localhost").
std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls_connect(net::io_context& ioc,
                                                                  ssl::context& context,
                                                                  std::uint16_t port,
                                                                  beast::error_code& ec) {
  auto stream = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(ioc, context);
  SSL_set_tlsext_host_name(stream->native_handle(), "localhost");
  // Boost 1.81 predates ssl::host_name_verification; OpenSSL checks the name.
  SSL_set1_host(stream->native_handle(), "localhost");
  beast::get_lowest_layer(*stream).expires_after(10s);
  beast::get_lowest_layer(*stream).connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  stream->handshake(ssl::stream_base::client, ec);
  return stream;
}

TEST_F(HardeningTls, HttpsServesAndWssSpeaksTheProtocol) {
  TestServer server(tls_config());
  net::io_context ioc;
  auto context = client_context();
  beast::error_code ec;
  auto stream = tls_connect(ioc, context, server.port(), ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_GE(SSL_version(stream->native_handle()), TLS1_2_VERSION);
  http::request<http::empty_body> req{http::verb::get, "/healthz", 11};
  req.set(http::field::host, "localhost");
  http::write(*stream, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(*stream, buffer, res);
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res.body(), "ok\n");

  auto ws_stream = tls_connect(ioc, context, server.port(), ec);
  ASSERT_FALSE(ec) << ec.message();
  websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws(std::move(*ws_stream));
  ws.handshake("localhost", "/ws");
  beast::flat_buffer frames;
  ws.read(frames);
  const json welcome = json::parse(beast::buffers_to_string(frames.data()));
  EXPECT_EQ(welcome["type"], "welcome");
  frames.consume(frames.size());
  ws.write(net::buffer(std::string(R"({"type":"join","room":"secure","rid":1})")));
  ws.read(frames);
  EXPECT_EQ(json::parse(beast::buffers_to_string(frames.data()))["type"], "joined");
  ws.close(websocket::close_code::normal);
}

// socket.io over TLS: Engine.IO long-polling over https:// (several requests
// on one kept-alive TLS connection), then the upgrade of that session to a
// WebSocket over wss://, and a join through it.
TEST_F(HardeningTls, SocketioPollsOverHttpsAndUpgradesToWss) {
  TestServer server(tls_config());
  net::io_context ioc;
  auto context = client_context();
  beast::error_code ec;
  auto polling = tls_connect(ioc, context, server.port(), ec);
  ASSERT_FALSE(ec) << ec.message();
  beast::flat_buffer buffer;
  auto request = [&](http::verb verb, const std::string& target, const std::string& body) {
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "localhost");
    if (verb == http::verb::post) req.set(http::field::content_type, "text/plain;charset=UTF-8");
    req.body() = body;
    req.prepare_payload();
    http::write(*polling, req);
    http::response<http::string_body> res;
    http::read(*polling, buffer, res);
    EXPECT_EQ(res.result_int(), 200u) << res.body();
    return res.body();
  };
  const std::string open = request(http::verb::get, "/socket.io/?EIO=4&transport=polling", "");
  ASSERT_EQ(open.front(), '0') << open;
  const std::string sid = json::parse(open.substr(1)).at("sid").get<std::string>();
  const std::string poll = "/socket.io/?EIO=4&transport=polling&sid=" + sid;
  EXPECT_EQ(request(http::verb::post, poll, "40"), "ok");
  const std::string connected = request(http::verb::get, poll, "");
  ASSERT_EQ(connected.rfind("40{", 0), 0u) << connected;
  const std::string id = json::parse(connected.substr(2)).at("sid").get<std::string>();

  auto upgrade = tls_connect(ioc, context, server.port(), ec);
  ASSERT_FALSE(ec) << ec.message();
  websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws(std::move(*upgrade));
  ws.handshake("localhost", "/socket.io/?EIO=4&transport=websocket&sid=" + sid);
  beast::flat_buffer frames;
  auto next_text = [&] {
    frames.consume(frames.size());
    ws.read(frames);
    return beast::buffers_to_string(frames.data());
  };
  ws.write(net::buffer(std::string("2probe")));
  EXPECT_EQ(next_text(), "3probe");
  ws.write(net::buffer(std::string("5")));
  ws.write(net::buffer(std::string(R"(42["join","secure-sio"])")));
  EXPECT_EQ(next_text(), R"(42["joined","secure-sio",")" + id + R"("])");
  EXPECT_TRUE(TestServer::eventually([&] {
    return server.server().directory().room_of(id) == std::optional<std::string>("secure-sio");
  }));
  ws.close(websocket::close_code::normal);
}

TEST_F(HardeningTls, OldProtocolVersionsAndNonAeadCiphersAreRefused) {
  TestServer server(tls_config());
  net::io_context ioc;
  for (int version : {TLS1_VERSION, TLS1_1_VERSION}) {
    auto context = client_context();
    // Let this client offer what the server must refuse.
    SSL_CTX_set_security_level(context.native_handle(), 0);
    SSL_CTX_set_min_proto_version(context.native_handle(), version);
    SSL_CTX_set_max_proto_version(context.native_handle(), version);
    beast::error_code ec;
    tls_connect(ioc, context, server.port(), ec);
    EXPECT_TRUE(ec) << "TLS version " << std::hex << version << " was accepted";
  }
  // TLS 1.2 with CBC (non-AEAD) suites only.
  {
    auto context = client_context();
    SSL_CTX_set_max_proto_version(context.native_handle(), TLS1_2_VERSION);
    SSL_CTX_set_cipher_list(context.native_handle(),
                            "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384:AES128-SHA");
    beast::error_code ec;
    tls_connect(ioc, context, server.port(), ec);
    EXPECT_TRUE(ec) << "a CBC suite was accepted";
  }
  // TLS 1.2 with an AEAD suite is fine.
  {
    auto context = client_context();
    SSL_CTX_set_max_proto_version(context.native_handle(), TLS1_2_VERSION);
    SSL_CTX_set_cipher_list(context.native_handle(), "ECDHE-ECDSA-AES128-GCM-SHA256");
    beast::error_code ec;
    auto stream = tls_connect(ioc, context, server.port(), ec);
    EXPECT_FALSE(ec) << ec.message();
    if (!ec) {
      EXPECT_EQ(SSL_version(stream->native_handle()), TLS1_2_VERSION);
    }
  }
}

TEST_F(HardeningTls, PlainHttpOnTheTlsPortGetsNoAnswer) {
  TestServer server(tls_config());
  RawClient raw(server.port());
  raw.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string answer = raw.read_until_eof(5s);
  EXPECT_EQ(answer.find("HTTP/1.1 200"), std::string::npos);
}

TEST_F(HardeningTls, AConnectionThatNeverStartsTlsIsClosedByTheHandshakeTimeout) {
  TestServer server(tls_config());
  RawClient silent(server.port());
  EXPECT_TRUE(silent.closed_by_peer(10s));
  // Half a ClientHello is no better.
  RawClient half(server.port());
  half.write(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11));
  EXPECT_TRUE(half.closed_by_peer(10s));
}

TEST_F(HardeningTls, MissingOrMismatchedCertificateIsAClearStartupError) {
  Config missing = tls_config();
  missing.tls.cert = (cert_->dir / "no-such-cert.pem").string();
  try {
    Server server(missing);
    server.start();
    ADD_FAILURE() << "a missing certificate was accepted";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("tls.cert"), std::string::npos) << e.what();
  }

  DevCert other("other");
  Config mismatched = tls_config();
  mismatched.tls.key = other.key;
  try {
    Server server(mismatched);
    server.start();
    ADD_FAILURE() << "a key of another certificate was accepted";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("tls.key"), std::string::npos) << e.what();
  }

  // The daemon itself refuses to start, and says why.
  const std::string garbage = write_temp_file("not a certificate\n", ".pem");
  auto [status, out] =
      run_parleyd({"--address", "127.0.0.1", "--port", "0"}, {{"PARLEY_ADMIN_PORT", "0"},
                                                              {"PARLEY_STATIC_DIR", ""},
                                                              {"PARLEY_TLS_CERT", garbage},
                                                              {"PARLEY_TLS_KEY", cert_->key}});
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("tls.cert"), std::string::npos) << out;
  fs::remove(garbage);
}

// --check-config loads the certificate and key as the start does: what would stop
// the start fails the check, naming the key and the file.
TEST_F(HardeningTls, CheckConfigLoadsTheCertificateAndKey) {
  const auto check = [](const std::string& cert, const std::string& key) {
    return run_parleyd({"--check-config"}, {{"PARLEY_TLS_CERT", cert}, {"PARLEY_TLS_KEY", key}});
  };
  auto [good_status, good] = check(cert_->cert, cert_->key);
  EXPECT_EQ(good_status, 0) << good;
  EXPECT_NE(good.find("configuration OK"), std::string::npos) << good;

  const std::string absent = (cert_->dir / "no-such-cert.pem").string();
  auto [absent_status, absent_out] = check(absent, cert_->key);
  EXPECT_EQ(absent_status, 1) << absent_out;
  EXPECT_NE(absent_out.find("tls.cert: cannot load " + absent), std::string::npos) << absent_out;

  const std::string garbage = write_temp_file("not a certificate\n", ".pem");
  auto [garbage_status, garbage_out] = check(garbage, cert_->key);
  EXPECT_EQ(garbage_status, 1) << garbage_out;
  EXPECT_NE(garbage_out.find("tls.cert: cannot load " + garbage), std::string::npos) << garbage_out;
  auto [bad_key_status, bad_key_out] = check(cert_->cert, garbage);
  EXPECT_EQ(bad_key_status, 1) << bad_key_out;
  EXPECT_NE(bad_key_out.find("tls.key: cannot load " + garbage), std::string::npos) << bad_key_out;
  fs::remove(garbage);

  DevCert other("check-other");
  auto [mismatch_status, mismatch_out] = check(cert_->cert, other.key);
  EXPECT_EQ(mismatch_status, 1) << mismatch_out;
  // OpenSSL notices the mismatch while loading the key ("key values mismatch").
  EXPECT_NE(mismatch_out.find("tls.key: "), std::string::npos) << mismatch_out;
  EXPECT_NE(mismatch_out.find(other.key), std::string::npos) << mismatch_out;
}

}  // namespace
}  // namespace parley::test
