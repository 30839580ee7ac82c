// The wire form of webhook events: the body's fields, the signature header (a
// vector computed with `openssl dgst -sha256 -hmac`), and the URL parser the
// configuration and the client share.
#include "webhooks/webhook_event.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/hmac.hpp"
#include "base/http_url.hpp"
#include "webhooks/webhook_signature.hpp"

namespace parley {
namespace {

using nlohmann::json;

TEST(WebhookBody, RoomEventsCarryIdEventRoomSeqAt) {
  const auto body = webhook_body(WebhookEvent::room_started("r1"), {"e1", 1, 1'800'000'000'123});
  EXPECT_EQ(body, R"({"id":"e1","event":"room-started","room":"r1","seq":1,"at":1800000000123})");
  const auto finished = json::parse(webhook_body(WebhookEvent::room_finished("r1"), {"e9", 9, 5}));
  EXPECT_EQ(finished,
            json::parse(R"({"id":"e9","event":"room-finished","room":"r1","seq":9,"at":5})"));
}

TEST(WebhookBody, PeerEventsCarryPeerAndMeta) {
  const auto joined = json::parse(webhook_body(WebhookEvent::peer_joined("r", "p1"), {"e2", 2, 7}));
  EXPECT_EQ(joined, json::parse(R"({"id":"e2","event":"peer-joined","room":"r","seq":2,"at":7,
                                    "peer":"p1","meta":{}})"));
  const auto updated = json::parse(
      webhook_body(WebhookEvent::peer_updated("r", "p1", {{"name", "Ann"}}), {"e3", 3, 8}));
  EXPECT_EQ(updated["event"], "peer-updated");
  EXPECT_EQ(updated["meta"], json({{"name", "Ann"}}));
  EXPECT_FALSE(updated.contains("reason"));
}

TEST(WebhookBody, PeerLeftCarriesItsReason) {
  for (const char* reason : {"leave", "disconnect", "timeout", "kicked"}) {
    const auto left =
        json::parse(webhook_body(WebhookEvent::peer_left("r", "p1", reason), {"e", 4, 9}));
    EXPECT_EQ(left["event"], "peer-left");
    EXPECT_EQ(left["reason"], reason);
    EXPECT_EQ(left["meta"], json::object());
    EXPECT_EQ(left["peer"], "p1");
  }
}

TEST(WebhookBody, MetaThatIsNotAnObjectBecomesEmpty) {
  const auto joined =
      json::parse(webhook_body(WebhookEvent::peer_joined("r", "p", json::array()), {"e", 1, 1}));
  EXPECT_EQ(joined["meta"], json::object());
}

TEST(WebhookBody, InvalidUtf8InARoomNameDoesNotThrow) {
  const std::string room = "bad\xff";
  std::string body;
  EXPECT_NO_THROW(body = webhook_body(WebhookEvent::room_started(room), {"e", 1, 1}));
  EXPECT_TRUE(json::accept(body));
}

TEST(WebhookSignature, MatchesAnIndependentlyComputedVector) {
  // printf '1800000000.<body>' | openssl dgst -sha256 -hmac 'shh-secret'
  const std::string body =
      R"({"id":"e1","event":"room-started","room":"r1","seq":1,"at":1800000000123})";
  EXPECT_EQ(webhook_signature("shh-secret", 1'800'000'000, body),
            "t=1800000000,v1=54a504982f72da40f630a86f627a454d69dfb1f5cea11c31f6376ac196436749");
  EXPECT_EQ(kSignatureHeader, "Parley-Signature");
}

TEST(WebhookSignature, DependsOnTimeSecretAndBody) {
  const auto base = webhook_signature("s", 1, "{}");
  ASSERT_TRUE(base.has_value());
  EXPECT_NE(base, webhook_signature("s", 2, "{}"));
  EXPECT_NE(base, webhook_signature("t", 1, "{}"));
  EXPECT_NE(base, webhook_signature("s", 1, "{ }"));
}

TEST(Hex, EncodesLowercaseTwoDigitsPerByte) {
  EXPECT_EQ(hex_encode(std::string_view("\x00\x0f\xa0\xff", 4)), "000fa0ff");
  EXPECT_EQ(hex_encode(std::string_view()), "");
}

TEST(HttpUrl, TakesApartHttpAndHttps) {
  const auto plain = parse_http_url("http://example.com/hook?x=1");
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->https);
  EXPECT_EQ(plain->host, "example.com");
  EXPECT_FALSE(plain->host_is_ip);
  EXPECT_EQ(plain->port, "80");
  EXPECT_EQ(plain->host_header, "example.com");
  EXPECT_EQ(plain->target, "/hook?x=1");
  EXPECT_EQ(plain->loggable(), "http://example.com/hook");

  const auto tls = parse_http_url("https://127.0.0.1:8443");
  ASSERT_TRUE(tls);
  EXPECT_TRUE(tls->https);
  EXPECT_TRUE(tls->host_is_ip);
  EXPECT_EQ(tls->port, "8443");
  EXPECT_EQ(tls->host_header, "127.0.0.1:8443");
  EXPECT_EQ(tls->target, "/");

  const auto v6 = parse_http_url("https://[::1]:9/x");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->host_header, "[::1]:9");
}

TEST(HttpUrl, RefusesWhatCannotBeAWebhookReceiver) {
  for (const char* bad :
       {"", "example.com/hook", "/hook", "ftp://example.com/", "ws://example.com/", "http://",
        "http://user:pw@example.com/", "http://example.com/#frag", "http://example.com:0/",
        "http://example.com:70000/", "http://exa mple.com/"}) {
    std::string why;
    EXPECT_FALSE(parse_http_url(bad, &why)) << bad;
    EXPECT_FALSE(why.empty()) << bad;
  }
}

}  // namespace
}  // namespace parley
