#include "dialect.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace loadgen {
namespace {

RelayMessage message(std::size_t size) {
  RelayMessage m;
  m.room = "room-1";
  m.origin = 7;
  m.seq = 42;
  m.sent_at = 123456789;
  m.size = size;
  return m;
}

TEST(RelayPayload, IsPaddedToTheRequestedSize) {
  for (const char* name : {"native", "sio", "bare"}) {
    const auto dialect = make_dialect(name);
    for (std::size_t size : {200u, 4096u}) {
      EXPECT_EQ(dialect->relay(message(size)).size(), size) << name;
    }
  }
}

TEST(RelayPayload, ScanFindsTheFieldsWhateverTheKeyOrder) {
  // nlohmann::json sorts keys when it re-serialises: the scan must not care.
  const auto sent = nlohmann::json::parse(make_dialect("native")->relay(message(200)));
  nlohmann::json delivered = sent;
  delivered["from"] = "peer-A";
  const std::string text = delivered.dump();  // the scan returns views into it
  RelayedFields fields;
  ASSERT_TRUE(scan_relayed(text, fields));
  EXPECT_EQ(fields.origin, 7);
  EXPECT_EQ(fields.seq, 42);
  EXPECT_EQ(fields.sent_at, 123456789);
  EXPECT_EQ(fields.from, "peer-A");
}

TEST(NativeDialect, IsAlsoNamedV1) {
  // Old command lines say --dialect v1.
  const auto old_name = make_dialect("v1");
  ASSERT_NE(old_name, nullptr);
  EXPECT_EQ(old_name->name(), "native");
  EXPECT_EQ(old_name->relay(message(200)), make_dialect("native")->relay(message(200)));
}

TEST(NativeDialect, StrictParseAcceptsTheSentObjectWithFrom) {
  const auto native = make_dialect("native");
  const std::string text = native->relay(message(200));
  const std::string delivered = text.substr(0, text.size() - 1) + R"(,"from":"abc"})";
  const Incoming in = native->parse(delivered, true);
  EXPECT_EQ(in.kind, Kind::kRelayed) << in.detail;
  EXPECT_EQ(in.relayed.from, "abc");
}

TEST(NativeDialect, StrictParseRejectsAChangedPayload) {
  const auto native = make_dialect("native");
  auto json = nlohmann::json::parse(native->relay(message(200)));
  json["from"] = "abc";
  json["data"]["extra"] = 1;
  EXPECT_EQ(native->parse(json.dump(), true).kind, Kind::kMalformed);
  json["data"].erase("extra");
  json["data"]["pad"] = "xxy";
  EXPECT_EQ(native->parse(json.dump(), true).kind, Kind::kMalformed);
}

TEST(NativeDialect, ReadsTheServerMessages) {
  const auto native = make_dialect("native");
  auto welcome = native->parse(R"({"type":"welcome","id":"p1","resume":"t","version":1})", false);
  EXPECT_EQ(welcome.kind, Kind::kReady);
  EXPECT_EQ(welcome.id, "p1");
  auto joined = native->parse(
      R"({"type":"joined","room":"r","id":"p1","peers":["p0"],"iceServers":[]})", false);
  EXPECT_EQ(joined.kind, Kind::kJoined);
  EXPECT_EQ(joined.peers, std::vector<std::string>{"p0"});
  EXPECT_EQ(native->parse(R"({"type":"peer-joined","room":"r","id":"p2"})", false).kind,
            Kind::kPeerJoined);
  EXPECT_EQ(native->parse(R"({"type":"left","room":"r","reason":"leave"})", false).kind,
            Kind::kLeft);
  EXPECT_EQ(native->parse(R"({"type":"error","code":"rate-limited","message":"x"})", false).kind,
            Kind::kServerError);
  EXPECT_EQ(native->parse("not json", false).kind, Kind::kMalformed);
}

TEST(SocketIoDialect, SpeaksEngineIoAndTheClassicEvents) {
  const auto sio = make_dialect("sio");
  EXPECT_EQ(sio->parse(R"(0{"sid":"x","upgrades":[],"pingInterval":25000})", false).reply, "40");
  EXPECT_EQ(sio->parse(R"(40{"sid":"y"})", false).kind, Kind::kReady);
  EXPECT_EQ(sio->parse("2", false).reply, "3");
  EXPECT_EQ(sio->join("r1"), R"(42["join","r1"])");
  auto joined = sio->parse(R"(42["joined","r1","id1"])", false);
  EXPECT_EQ(joined.kind, Kind::kJoined);
  EXPECT_EQ(joined.id, "id1");
  EXPECT_EQ(sio->parse(R"(42["otherjoin","r1","id2"])", false).kind, Kind::kPeerJoined);
  EXPECT_EQ(sio->parse(R"(42["leaved","r1","id1"])", false).kind, Kind::kLeft);
  EXPECT_EQ(sio->parse(R"(42["bye","r1","id2"])", false).kind, Kind::kPeerLeft);
  const std::string text = sio->relay(message(300));  // parse returns views into it
  const auto relayed = sio->parse(text, true);
  EXPECT_EQ(relayed.kind, Kind::kRelayed) << relayed.detail;
  EXPECT_EQ(relayed.relayed.room, "room-1");
  EXPECT_EQ(relayed.relayed.seq, 42);
}

TEST(BareDialect, PairsWithJAndL) {
  const auto bare = make_dialect("bare");
  EXPECT_EQ(bare->join("k"), "Jk");
  EXPECT_EQ(bare->leave("k"), "L");
  EXPECT_EQ(bare->parse("j", false).kind, Kind::kJoined);
  EXPECT_EQ(bare->parse("l", false).kind, Kind::kLeft);
  EXPECT_EQ(bare->parse(bare->relay(message(200)), true).kind, Kind::kRelayed);
  EXPECT_EQ(bare->parse("?", false).kind, Kind::kMalformed);
}

}  // namespace
}  // namespace loadgen
