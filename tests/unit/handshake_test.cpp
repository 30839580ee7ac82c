#include "net/handshake.hpp"

#include <gtest/gtest.h>

namespace parley {
namespace {
namespace http = boost::beast::http;

// The sample handshake of RFC 6455 section 1.3.
http::request<http::empty_body> valid_request() {
  http::request<http::empty_body> req{http::verb::get, "/ws", 11};
  req.set(http::field::host, "server.example.com");
  req.set(http::field::upgrade, "websocket");
  req.set(http::field::connection, "Upgrade");
  req.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
  req.set(http::field::sec_websocket_version, "13");
  return req;
}

void expect_rejected(const http::request<http::empty_body>& req, unsigned status,
                     bool version_header) {
  const auto rejection = check_websocket_upgrade(req);
  ASSERT_TRUE(rejection.has_value());
  EXPECT_EQ(rejection->status, status);
  EXPECT_EQ(rejection->send_version_header, version_header);
  EXPECT_FALSE(rejection->reason.empty());
}

TEST(Handshake, AcceptsTheRfcSample) {
  EXPECT_FALSE(check_websocket_upgrade(valid_request()).has_value());
  EXPECT_TRUE(is_websocket_upgrade_attempt(valid_request()));
}

TEST(Handshake, TokensAreCaseInsensitiveListMembers) {
  auto req = valid_request();
  req.set(http::field::upgrade, "WebSocket");
  req.set(http::field::connection, "keep-alive, Upgrade");
  EXPECT_FALSE(check_websocket_upgrade(req).has_value());

  req.set(http::field::upgrade, "h2c ,  websocket");
  req.set(http::field::connection, "upgrade,keep-alive");
  EXPECT_FALSE(check_websocket_upgrade(req).has_value());
}

TEST(Handshake, RepeatedListHeadersCountAsOneList) {
  auto req = valid_request();
  req.set(http::field::connection, "keep-alive");
  req.insert(http::field::connection, "Upgrade");
  EXPECT_FALSE(check_websocket_upgrade(req).has_value());
}

TEST(Handshake, PlainRequestGets426WithVersion) {
  http::request<http::empty_body> req{http::verb::get, "/ws", 11};
  req.set(http::field::host, "server.example.com");
  expect_rejected(req, 426, true);
  EXPECT_FALSE(is_websocket_upgrade_attempt(req));
}

TEST(Handshake, WrongMethodOrHttpVersionIs400) {
  auto post = valid_request();
  post.method(http::verb::post);
  expect_rejected(post, 400, false);

  auto old = valid_request();
  old.version(10);
  expect_rejected(old, 400, false);
}

TEST(Handshake, UpgradeMustNameWebsocket) {
  auto req = valid_request();
  req.set(http::field::upgrade, "h2c");
  expect_rejected(req, 400, false);
  EXPECT_FALSE(is_websocket_upgrade_attempt(req));
  req.set(http::field::upgrade, "websockets");
  expect_rejected(req, 400, false);
  req.set(http::field::upgrade, "");
  expect_rejected(req, 400, false);
}

TEST(Handshake, ConnectionMustIncludeUpgrade) {
  auto req = valid_request();
  req.set(http::field::connection, "keep-alive");
  expect_rejected(req, 400, false);
  req.set(http::field::connection, "upgraded");
  expect_rejected(req, 400, false);
  req.erase(http::field::connection);
  expect_rejected(req, 400, false);
}

TEST(Handshake, VersionMustBeExactly13) {
  for (const char* version : {"8", "12", "14", "13, 8", "013", ""}) {
    auto req = valid_request();
    req.set(http::field::sec_websocket_version, version);
    expect_rejected(req, 426, true);
  }
  auto missing = valid_request();
  missing.erase(http::field::sec_websocket_version);
  expect_rejected(missing, 426, true);

  auto repeated = valid_request();
  repeated.insert(http::field::sec_websocket_version, "13");
  expect_rejected(repeated, 426, true);
}

TEST(Handshake, KeyMustBeBase64OfSixteenBytes) {
  for (const char* key : {
           "",                              // empty
           "dGhlIHNhbXBsZSBub25jZQ",        // padding missing
           "dGhlIHNhbXBsZSBub25jZQ=",       // padding short
           "dGhlIHNhbXBsZSBub25jZQ==AAAA",  // 19 bytes
           "dGhlIHNhbXBsZSBub25j",          // 15 bytes
           "dGhlIHNhbXBsZSBub25jZR==",      // unused bits set
           "dGhlIHNhbXBsZSBub25jZQ-_",      // URL alphabet, 18 bytes anyway
           "d2hlIHNhbXBsZSBub25jZ!==",      // character outside the alphabet
           "this is not base64 at all!",
       }) {
    auto req = valid_request();
    req.set(http::field::sec_websocket_key, key);
    expect_rejected(req, 400, false);
  }
  auto missing = valid_request();
  missing.erase(http::field::sec_websocket_key);
  expect_rejected(missing, 400, false);

  auto repeated = valid_request();
  repeated.insert(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
  expect_rejected(repeated, 400, false);
}

TEST(Handshake, AnyOtherSixteenByteKeyIsFine) {
  auto req = valid_request();
  req.set(http::field::sec_websocket_key, "AAAAAAAAAAAAAAAAAAAAAA==");
  EXPECT_FALSE(check_websocket_upgrade(req).has_value());
  req.set(http::field::sec_websocket_key, "/////////////////////w==");
  EXPECT_FALSE(check_websocket_upgrade(req).has_value());
}

}  // namespace
}  // namespace parley
