// RelayedMessage::make(): one message built from a draft of views, owning
// copies of them, and the encodings each dialect makes of it.
#include <gtest/gtest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "dialects/native/protocol.hpp"
#include "dialects/socketio/socketio_events.hpp"
#include "rooms/events.hpp"

namespace parley {
namespace {

using nlohmann::json;

TEST(RelayedMessage, MakeCopiesWhatTheDraftViews) {
  std::string type = "offer";
  std::string text = R"({"type":"offer","sdp":"v=0"})";
  std::string room = "a room";
  std::string sender = "peer-1";
  const auto message =
      RelayedMessage::make(RelayDraft{type, text, false, RelayShape::signal}, room, sender);
  // The sender's buffers are reused for the next frame at once.
  type.assign(type.size(), 'x');
  text.assign(text.size(), 'x');
  room.assign(room.size(), 'x');
  sender.assign(sender.size(), 'x');
  EXPECT_EQ(message->type, "offer");
  EXPECT_EQ(message->text, R"({"type":"offer","sdp":"v=0"})");
  EXPECT_EQ(message->room, "a room");
  EXPECT_EQ(message->sender, "peer-1");
  EXPECT_FALSE(message->has_from);
  EXPECT_EQ(message->shape, RelayShape::signal);
}

TEST(RelayedMessage, AServerMessageHasNoSender) {
  const auto message = RelayedMessage::make(
      RelayDraft{"server-message", R"({"n":1})", false, RelayShape::server}, "r", "");
  EXPECT_TRUE(message->sender.empty());
  EXPECT_EQ(message->shape, RelayShape::server);
  EXPECT_EQ(encode_relayed(*message), R"({"type":"server-message","room":"r","data":{"n":1}})");
  EXPECT_EQ(message->frame_size(), encode_relayed(*message).size());
  EXPECT_EQ(RelayedMessage::frame_size(RelayShape::server, R"({"n":1})", "r", ""),
            message->frame_size());
}

TEST(RelayedMessage, EncodingsAreMadeOnceAndKnowTheirMessage) {
  const auto message = RelayedMessage::make(
      RelayDraft{"offer", R"({"type":"offer"})", false, RelayShape::signal}, "r", "p1");
  int calls = 0;
  auto encode = [&] {
    ++calls;
    return encode_relayed(*message);
  };
  const SharedText first = RelayedMessage::encoded(message, kNativeEncoding, encode);
  const SharedText second = RelayedMessage::encoded(message, kNativeEncoding, encode);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(first.get(), second.get());
  EXPECT_EQ(*first, R"({"from":"p1","type":"offer"})");
  EXPECT_EQ(RelayedMessage::of_encoding(first).get(), message.get());
}

TEST(RelayedMessage, NativeSignalReachesSocketioAsWritten) {
  // The sender's members keep their order and spacing; a byte order mark goes.
  const auto message = RelayedMessage::make(
      RelayDraft{"offer", "\xEF\xBB\xBF{\"type\":\"offer\", \"sdp\":\"v=0\",\"a\":1}", false,
                 RelayShape::signal},
      "r\"1", "p2");
  EXPECT_EQ(socketio_encode_relayed(*message),
            R"(42["message","r\"1",{"type":"offer", "sdp":"v=0","a":1}])");
}

TEST(RelayedMessage, ANativeSendersOwnFromNeverReachesSocketio) {
  const auto message =
      RelayedMessage::make(RelayDraft{"offer", R"({"type":"offer","from":"spoof","sdp":"v=0"})",
                                      true, RelayShape::signal},
                           "r", "p2");
  EXPECT_EQ(json::parse(socketio_encode_relayed(*message).substr(2)),
            json::array({"message", "r", {{"type", "offer"}, {"sdp", "v=0"}}}));
}

TEST(RelayedMessage, SocketioObjectDataGetsFromSplicedIn) {
  const auto message = RelayedMessage::make(
      RelayDraft{"offer", R"({"type":"offer","sdp":"v=0"})", false, RelayShape::data}, "r", "p1");
  EXPECT_EQ(encode_relayed(*message), R"({"from":"p1","type":"offer","sdp":"v=0"})");
  const auto empty =
      RelayedMessage::make(RelayDraft{"message", "{ }", false, RelayShape::data}, "r", "p1");
  EXPECT_EQ(json::parse(encode_relayed(*empty)), (json{{"from", "p1"}}));
}

TEST(RelayedMessage, SocketioDataWithItsOwnFromIsParsedAndReplaced) {
  const auto message = RelayedMessage::make(
      RelayDraft{"message", R"({"from":"spoof","x":1})", true, RelayShape::data}, "r", "p1");
  EXPECT_EQ(json::parse(encode_relayed(*message)), (json{{"from", "p1"}, {"x", 1}}));
}

TEST(RelayedMessage, SocketioDataThatIsNoObjectIsWrapped) {
  const auto message =
      RelayedMessage::make(RelayDraft{"message", "[1, 2]", false, RelayShape::data}, "r", "p1");
  EXPECT_EQ(encode_relayed(*message), R"({"data":[1, 2],"from":"p1","type":"message"})");
}

}  // namespace
}  // namespace parley
