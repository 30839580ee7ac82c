// The Engine.IO v4 / Socket.IO v5 codec of the socket.io dialect.
#include <gtest/gtest.h>

#include "dialects/socketio/socketio_packets.hpp"

#include <nlohmann/json.hpp>

#include "dialects/native/protocol.hpp"
#include "dialects/socketio/socketio_events.hpp"

namespace parley {
namespace {

using nlohmann::json;

// --- Engine.IO -----------------------------------------------------------------

TEST(EngineioPacket, ReadsTypeAndData) {
  const auto ping = engineio::parse_packet("2probe");
  ASSERT_TRUE(ping.packet);
  EXPECT_EQ(ping.packet->type, engineio::PacketType::ping);
  EXPECT_EQ(ping.packet->data, "probe");

  const auto message = engineio::parse_packet("42[\"join\",\"r\"]");
  ASSERT_TRUE(message.packet);
  EXPECT_EQ(message.packet->type, engineio::PacketType::message);
  EXPECT_EQ(message.packet->data, "2[\"join\",\"r\"]");

  const auto upgrade = engineio::parse_packet("5");
  ASSERT_TRUE(upgrade.packet);
  EXPECT_EQ(upgrade.packet->type, engineio::PacketType::upgrade);
  EXPECT_TRUE(upgrade.packet->data.empty());
}

TEST(EngineioPacket, RefusesEmptyUnknownAndBinary) {
  EXPECT_FALSE(engineio::parse_packet("").packet);
  EXPECT_FALSE(engineio::parse_packet("7").packet);
  EXPECT_FALSE(engineio::parse_packet("x").packet);
  EXPECT_EQ(engineio::parse_packet("7").error, engineio::ParseError::malformed);
  const auto binary = engineio::parse_packet("bAQID");
  EXPECT_FALSE(binary.packet);
  EXPECT_EQ(binary.error, engineio::ParseError::binary);
}

TEST(EngineioPayload, SplitsOnTheRecordSeparator) {
  const auto payload = engineio::parse_payload(
      "40\x1e"
      "42[\"a\"]\x1e"
      "3");
  ASSERT_FALSE(payload.error);
  ASSERT_EQ(payload.packets.size(), 3u);
  EXPECT_EQ(payload.packets[0].type, engineio::PacketType::message);
  EXPECT_EQ(payload.packets[0].data, "0");
  EXPECT_EQ(payload.packets[1].data, "2[\"a\"]");
  EXPECT_EQ(payload.packets[2].type, engineio::PacketType::pong);
}

TEST(EngineioPayload, OnePacketIsAPayloadToo) {
  const auto payload = engineio::parse_payload("1");
  ASSERT_FALSE(payload.error);
  ASSERT_EQ(payload.packets.size(), 1u);
  EXPECT_EQ(payload.packets[0].type, engineio::PacketType::close);
}

TEST(EngineioPayload, AnyBadRecordSpoilsTheWhole) {
  for (const char* body : {"", "40\x1e",
                           "\x1e"
                           "40",
                           "40\x1e\x1e"
                           "3",
                           "40\x1e"
                           "9"}) {
    const auto payload = engineio::parse_payload(body);
    EXPECT_EQ(payload.error, engineio::ParseError::malformed) << json(body).dump();
    EXPECT_TRUE(payload.packets.empty());
  }
  EXPECT_EQ(engineio::parse_payload("40\x1e"
                                    "bAQID")
                .error,
            engineio::ParseError::binary);
}

TEST(EngineioPayload, EncodesWithSeparators) {
  const std::vector<SharedText> packets{std::make_shared<const std::string>("2"),
                                        std::make_shared<const std::string>("42[\"x\"]")};
  EXPECT_EQ(engineio::encode_payload(packets),
            "2\x1e"
            "42[\"x\"]");
  EXPECT_EQ(engineio::encode_payload({packets[0]}), "2");
}

TEST(EngineioOpen, CarriesSessionAndTimingInMilliseconds) {
  const std::string open = engineio::open_packet("abc", true, 20, 0.5, 65536);
  ASSERT_EQ(open.front(), '0');
  const json body = json::parse(open.substr(1));
  EXPECT_EQ(body["sid"], "abc");
  EXPECT_EQ(body["upgrades"], json::array({"websocket"}));
  EXPECT_EQ(body["pingInterval"], 20000);
  EXPECT_EQ(body["pingTimeout"], 500);
  EXPECT_EQ(body["maxPayload"], 65536);

  const json direct = json::parse(engineio::open_packet("abc", false, 1, 1, 10).substr(1));
  EXPECT_EQ(direct["upgrades"], json::array());
}

TEST(EngineioHttpError, UsesEngineioCodesAndWords) {
  EXPECT_EQ(
      json::parse(engineio::http_error_body(engineio::HttpErrorCode::unsupported_protocol_version)),
      (json{{"code", 5}, {"message", "Unsupported protocol version"}}));
  EXPECT_EQ(json::parse(engineio::http_error_body(engineio::HttpErrorCode::unknown_sid)),
            (json{{"code", 1}, {"message", "Session ID unknown"}}));
  EXPECT_EQ(json::parse(
                engineio::http_error_body(engineio::HttpErrorCode::bad_request, "why"))["message"],
            "why");
}

// --- Socket.IO -----------------------------------------------------------------

TEST(SocketioPacket, ConnectWithAndWithoutAuth) {
  const auto bare = socketio::parse_packet("0");
  ASSERT_TRUE(bare.packet);
  EXPECT_EQ(bare.packet->type, socketio::PacketType::connect);
  EXPECT_EQ(bare.packet->nsp, "/");
  EXPECT_FALSE(bare.packet->data);

  const auto with_auth = socketio::parse_packet("0{\"token\":\"t\"}");
  ASSERT_TRUE(with_auth.packet);
  EXPECT_EQ((*with_auth.packet->data)["token"], "t");

  EXPECT_FALSE(socketio::parse_packet("0[1]").packet);  // CONNECT takes an object
  EXPECT_FALSE(socketio::parse_packet("0\"x\"").packet);
}

TEST(SocketioPacket, NamespaceIsReadUpToTheComma) {
  const auto admin = socketio::parse_packet("0/admin,{\"a\":1}");
  ASSERT_TRUE(admin.packet);
  EXPECT_EQ(admin.packet->nsp, "/admin");
  EXPECT_EQ((*admin.packet->data)["a"], 1);

  const auto bare = socketio::parse_packet("0/admin");
  ASSERT_TRUE(bare.packet);
  EXPECT_EQ(bare.packet->nsp, "/admin");
  EXPECT_FALSE(bare.packet->data);

  const auto event = socketio::parse_packet("2/chat,7[\"a\"]");
  ASSERT_TRUE(event.packet);
  EXPECT_EQ(event.packet->nsp, "/chat");
  EXPECT_EQ(event.packet->ack_id, 7u);

  EXPECT_FALSE(socketio::parse_packet("0/bad\x01name,").packet);
}

TEST(SocketioPacket, EventWithAndWithoutAckId) {
  const auto plain = socketio::parse_packet("2[\"message\",\"room\",{\"type\":\"offer\"}]");
  ASSERT_TRUE(plain.packet);
  EXPECT_EQ(plain.packet->type, socketio::PacketType::event);
  EXPECT_FALSE(plain.packet->ack_id);
  EXPECT_EQ(plain.packet->data->size(), 3u);

  const auto acked = socketio::parse_packet("212[\"join\",\"r\"]");
  ASSERT_TRUE(acked.packet);
  EXPECT_EQ(acked.packet->ack_id, 12u);
  EXPECT_EQ((*acked.packet->data)[0], "join");
}

TEST(SocketioPacket, EventShapesThatSocketioRefuses) {
  for (const char* text : {"2", "2[]", "2{}", "2\"join\"", "2[null]", "2[\"connect\"]",
                           "2[\"disconnect\",1]", "2[\"newListener\"]", "2[\"a\"", "2[\"a\"]x", "3",
                           "3{}", "1{}", "x", "", "7[\"a\"]", "21234567890123456789[\"a\"]"}) {
    const auto parsed = socketio::parse_packet(text);
    EXPECT_FALSE(parsed.packet) << json(text).dump();
    EXPECT_EQ(parsed.error, socketio::ParseError::malformed) << json(text).dump();
  }
  // A number is a valid (if unusual) event name.
  EXPECT_TRUE(socketio::parse_packet("2[42,\"x\"]").packet);
}

TEST(SocketioPacket, AckAndDisconnect) {
  const auto ack = socketio::parse_packet("35[\"ok\"]");
  ASSERT_TRUE(ack.packet);
  EXPECT_EQ(ack.packet->type, socketio::PacketType::ack);
  EXPECT_EQ(ack.packet->ack_id, 5u);

  const auto disconnect = socketio::parse_packet("1");
  ASSERT_TRUE(disconnect.packet);
  EXPECT_EQ(disconnect.packet->type, socketio::PacketType::disconnect);
}

TEST(SocketioPacket, BinaryPacketsAreRecognisedAndRefused) {
  for (const char* text : {"51-[\"x\",{\"_placeholder\":true,\"num\":0}]", "61-0[{}]"}) {
    const auto parsed = socketio::parse_packet(text);
    EXPECT_FALSE(parsed.packet);
    EXPECT_EQ(parsed.error, socketio::ParseError::binary);
  }
}

TEST(SocketioPacket, DeepNestingIsRefusedBeforeParsing) {
  const std::string deep = "2[\"message\",\"r\"," + std::string(kMaxJsonDepth + 5, '[') +
                           std::string(kMaxJsonDepth + 5, ']') + "]";
  EXPECT_FALSE(socketio::parse_packet(deep).packet);
  // Brackets inside strings do not count.
  const std::string quoted = "2[\"message\",\"r\",\"" + std::string(kMaxJsonDepth + 5, '[') + "\"]";
  EXPECT_TRUE(socketio::parse_packet(quoted).packet);
}

TEST(SocketioPacket, InvalidUtf8IsMalformed) {
  EXPECT_FALSE(socketio::parse_packet("2[\"join\",\"\xff\"]").packet);
}

TEST(SocketioEncode, ServerPackets) {
  EXPECT_EQ(socketio::connect_packet("id1"), "40{\"sid\":\"id1\"}");
  EXPECT_EQ(socketio::connect_error_packet("/admin", "Invalid namespace"),
            "44/admin,{\"message\":\"Invalid namespace\"}");
  EXPECT_EQ(socketio::connect_error_packet("/", "no", json{{"code", "x"}}),
            "44{\"data\":{\"code\":\"x\"},\"message\":\"no\"}");
  EXPECT_EQ(socketio::ack_packet(3, json::array({json{{"ok", true}}})), "433[{\"ok\":true}]");
}

// --- the classic events ------------------------------------------------------------

TEST(SocketioEvents, RoomEvents) {
  EXPECT_EQ(socketio_room_event_packet("joined", "r", "p1"), "42[\"joined\",\"r\",\"p1\"]");
  EXPECT_EQ(socketio_room_event_packet("bye", "r", "p1"), "42[\"bye\",\"r\",\"p1\"]");
  const json error = json::parse(socketio_error_packet("bad-room", "why").substr(2));
  EXPECT_EQ(error[0], "parley-error");
  EXPECT_EQ(error[1]["code"], "bad-room");
}

// A socket.io peer's message(room, data), as the directory relays it.
// `has_from` as the socket.io peer finds it in the parsed data.
const RelayedMessage& data_message(std::string_view data_text, bool has_from = false) {
  static std::vector<SharedMessage> made;  // alive for the test's assertions
  made.push_back(RelayedMessage::make(RelayDraft{"message", data_text, has_from, RelayShape::data},
                                      "r", "p1"));
  return *made.back();
}

TEST(SocketioEvents, SocketioDataReachesSocketioAsWritten) {
  EXPECT_EQ(socketio_encode_relayed(data_message(R"({ "type" : "offer" })")),
            R"(42["message","r",{ "type" : "offer" }])");
  EXPECT_EQ(socketio_encode_relayed(data_message("7")), R"(42["message","r",7])");
}

TEST(SocketioEvents, SocketioDataReachesNativePeersWithFrom) {
  EXPECT_EQ(json::parse(encode_relayed(
                data_message(R"({"type":"offer","sdp":"v=0","from":"spoof"})", true))),
            (json{{"type", "offer"}, {"sdp", "v=0"}, {"from", "p1"}}));
  EXPECT_EQ(json::parse(encode_relayed(data_message(R"("hello")"))),
            (json{{"type", "message"}, {"data", "hello"}, {"from", "p1"}}));
  EXPECT_EQ(json::parse(encode_relayed(data_message("[1,2]"))),
            (json{{"type", "message"}, {"data", {1, 2}}, {"from", "p1"}}));
  EXPECT_EQ(json::parse(encode_relayed(data_message("null"))),
            (json{{"type", "message"}, {"data", nullptr}, {"from", "p1"}}));
}

TEST(SocketioEvents, NativeSignalReachesSocketioWithoutFrom) {
  const auto offer = RelayedMessage::make(
      RelayDraft{"offer", R"({"type":"offer","sdp":"v=0","from":"x"})", true, RelayShape::signal},
      "r", "p2");
  EXPECT_EQ(json::parse(socketio_encode_relayed(*offer).substr(2)),
            json::array({"message", "r", {{"type", "offer"}, {"sdp", "v=0"}}}));
}

TEST(SocketioEvents, NativeRelayReachesSocketioWithoutFrom) {
  const std::string native = R"({"type":"answer","sdp":"v=0","from":"p2","to":"p1"})";
  const json packet = json::parse(socketio_relay_packet("r", native).substr(2));
  EXPECT_EQ(packet,
            json::array({"message", "r", {{"type", "answer"}, {"sdp", "v=0"}, {"to", "p1"}}}));
}

}  // namespace
}  // namespace parley
