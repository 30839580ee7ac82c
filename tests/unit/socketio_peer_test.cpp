// The Socket.IO layer of the socket.io dialect against a real room directory,
// with no transport: packets go in as text, and what the peer sends is recorded.
#include <gtest/gtest.h>

#include "dialects/socketio/socketio_peer.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <nlohmann/json.hpp>

#include "dialects/native/protocol.hpp"
#include "ops/metrics.hpp"
#include "policy/jwt.hpp"
#include "sync_directory.hpp"

namespace parley {
namespace {

using nlohmann::json;

using RoomRegistry = testing::SyncDirectory;

// A socket.io client as the peer sees it: what it was sent, whether it was
// closed. Its inbox drains on the test directory's loop, which every call of
// this test runs.
class Client final : public SocketioPeerHost, public PeerLink::Handler {
 public:
  Client(ServerContext& context, std::shared_ptr<const Config> config, RoomRegistry& registry)
      : registry_(registry),
        link(std::make_shared<PeerLink>(*this, /*resumable=*/false)),
        peer(std::make_unique<SocketioPeer>(context, std::move(config), *this)) {
    link->open(boost::asio::make_strand(registry.loop().io()), link);
  }
  ~Client() { link->discard(); }

  void send_packet(SharedText packet) override { sent.push_back(*packet); }
  void close_connection(unsigned short code, std::string_view) override { closed = code; }
  std::shared_ptr<PeerLink> peer_link() override { return link; }
  void discard_pending_events() override {
    ++discards;
    link->discard();
  }
  void run_on_strand(std::function<void()> f) override { f(); }

  void on_events(std::vector<Event>& batch) override {
    for (const auto& event : batch) peer->on_event(event);
  }
  std::vector<SharedMessage> take_unsent() override { return {}; }
  void superseded() override {}

  // Sends a Socket.IO packet (an Engine.IO message's data).
  void say(const std::string& packet) {
    peer->on_message(packet);
    registry_.settle();
  }
  void emit(const json& arguments) { say("2" + arguments.dump()); }

  // The next packet sent, removed from the record.
  std::string next() {
    registry_.settle();
    if (sent.empty()) return "<nothing>";
    std::string packet = sent.front();
    sent.erase(sent.begin());
    return packet;
  }
  // The next packet as an event: its argument array.
  json next_event() {
    const std::string packet = next();
    if (packet.rfind("42", 0) != 0) return json("not an event: " + packet);
    return json::parse(packet.substr(2));
  }
  std::string connect() {
    say("0");
    const std::string packet = next();
    return json::parse(packet.substr(2))["sid"].get<std::string>();
  }

  RoomRegistry& registry_;
  std::shared_ptr<PeerLink> link;
  std::unique_ptr<SocketioPeer> peer;
  std::vector<std::string> sent;
  std::optional<unsigned short> closed;
  int discards = 0;
};

class SocketioPeerTest : public ::testing::Test {
 protected:
  SocketioPeerTest()
      : registry(clock, DirectoryLimits{}), context(ioc, clock, registry.directory(), metrics) {
    use(Config{});
  }

  void use(Config config) {
    config_ = std::make_shared<const Config>(std::move(config));
    context.set_config(config_);
    DirectoryLimits limits;
    limits.max_peers_per_room = config_->limits.max_peers_per_room;
    limits.max_rooms = config_->limits.max_rooms;
    registry.set_limits(limits);
  }

  std::unique_ptr<Client> client() { return std::make_unique<Client>(context, config_, registry); }

  boost::asio::io_context ioc;
  ManualClock clock;
  RoomRegistry registry;
  Metrics metrics;
  ServerContext context;
  std::shared_ptr<const Config> config_;
};

TEST_F(SocketioPeerTest, ConnectAnswersWithThePeerId) {
  auto alice = client();
  EXPECT_FALSE(alice->peer->connected());
  const std::string id = alice->connect();
  EXPECT_EQ(id, alice->peer->id());
  EXPECT_EQ(registry.connected_count(), 1u);
  // A repeated CONNECT changes nothing.
  alice->say("0");
  EXPECT_EQ(alice->next(), "40{\"sid\":\"" + id + "\"}");
  EXPECT_EQ(registry.connected_count(), 1u);
}

TEST_F(SocketioPeerTest, OtherNamespacesGetConnectError) {
  auto alice = client();
  alice->say("0/admin,");
  EXPECT_EQ(alice->next(), "44/admin,{\"message\":\"Invalid namespace\"}");
  EXPECT_FALSE(alice->closed);
  EXPECT_FALSE(alice->peer->connected());
  // Using a namespace that was never joined is a broken client.
  alice->say("2/admin,[\"join\",\"r\"]");
  EXPECT_EQ(alice->closed, 1002);
}

TEST_F(SocketioPeerTest, EventsBeforeConnectClose) {
  auto alice = client();
  alice->emit({"join", "r"});
  EXPECT_EQ(alice->closed, 1002);
  EXPECT_EQ(registry.connected_count(), 0u);
}

TEST_F(SocketioPeerTest, MalformedAndBinaryPacketsClose) {
  auto alice = client();
  alice->connect();
  alice->say("2{not json");
  EXPECT_EQ(alice->closed, 1002);

  auto bob = client();
  bob->connect();
  bob->say("51-[\"message\",\"r\",{\"_placeholder\":true,\"num\":0}]");
  EXPECT_EQ(bob->closed, 1003);
}

TEST_F(SocketioPeerTest, JoinOtherjoinFull) {
  auto alice = client();
  auto bob = client();
  auto carol = client();
  const auto a = alice->connect();
  const auto b = bob->connect();
  const auto c = carol->connect();

  alice->emit({"join", "room1"});
  EXPECT_EQ(alice->next_event(), json::array({"joined", "room1", a}));
  bob->emit({"join", "room1"});
  EXPECT_EQ(bob->next_event(), json::array({"joined", "room1", b}));
  EXPECT_EQ(alice->next_event(), json::array({"otherjoin", "room1", b, json::object()}));
  carol->emit({"join", "room1"});
  EXPECT_EQ(carol->next_event(), json::array({"full", "room1", c}));
  EXPECT_EQ(registry.room("room1")->peers, (std::vector<std::string>{a, b}));
  EXPECT_TRUE(alice->sent.empty());
  EXPECT_TRUE(bob->sent.empty());
}

TEST_F(SocketioPeerTest, JoinErrorsArriveAsParleyError) {
  auto alice = client();
  alice->connect();
  alice->emit({"join", ""});
  EXPECT_EQ(alice->next_event()[1]["code"], "bad-room");
  alice->emit({"join", 5});
  EXPECT_EQ(alice->next_event()[1]["code"], "bad-message");
  alice->emit({"join"});
  EXPECT_EQ(alice->next_event()[1]["code"], "bad-message");
  alice->emit({"join", "r"});
  EXPECT_EQ(alice->next_event()[0], "joined");
  alice->emit({"join", "r2"});
  const json error = alice->next_event();
  EXPECT_EQ(error[0], "parley-error");
  EXPECT_EQ(error[1]["code"], "already-in-room");
  EXPECT_FALSE(alice->closed);
}

TEST_F(SocketioPeerTest, RoomLimit) {
  Config config;
  config.limits.max_rooms = 1;
  use(config);
  auto alice = client();
  auto bob = client();
  alice->connect();
  bob->connect();
  alice->emit({"join", "one"});
  alice->next();
  bob->emit({"join", "two"});
  EXPECT_EQ(bob->next_event()[1]["code"], "room-limit");
}

TEST_F(SocketioPeerTest, MessageReachesTheOthersOnly) {
  auto alice = client();
  auto bob = client();
  alice->connect();
  bob->connect();
  alice->emit({"join", "r"});
  bob->emit({"join", "r"});
  alice->sent.clear();
  bob->sent.clear();

  const json offer = {{"type", "offer"}, {"sdp", "v=0"}};
  alice->emit({"message", "r", offer});
  EXPECT_EQ(bob->next_event(), json::array({"message", "r", offer}));
  EXPECT_TRUE(alice->sent.empty());

  // The data goes out as the sender wrote it (key order, spacing), not re-encoded.
  alice->say(R"(2["message","r",{"z":1, "a":[2.50]}])");
  EXPECT_EQ(bob->next(), R"(42["message","r",{"z":1, "a":[2.50]}])");
  // Extra arguments are not passed on.
  alice->say(R"(2["message","r",{"z":1},"extra"])");
  EXPECT_EQ(bob->next(), R"(42["message","r",{"z":1}])");
}

TEST_F(SocketioPeerTest, MessageOutsideTheRoomIsRefused) {
  auto alice = client();
  alice->connect();
  alice->emit({"message", "r", "hi"});
  EXPECT_EQ(alice->next_event()[1]["code"], "not-in-room");
  alice->emit({"join", "r"});
  alice->next();
  alice->emit({"message", "elsewhere", "hi"});
  EXPECT_EQ(alice->next_event()[1]["code"], "not-in-room");
  alice->emit({"message", 3, "hi"});
  EXPECT_EQ(alice->next_event()[1]["code"], "bad-message");
}

TEST_F(SocketioPeerTest, LeaveAndDisconnectSayBye) {
  auto alice = client();
  auto bob = client();
  const auto a = alice->connect();
  const auto b = bob->connect();
  alice->emit({"join", "r"});
  bob->emit({"join", "r"});
  alice->sent.clear();
  bob->sent.clear();

  alice->emit({"leave", "r"});
  EXPECT_EQ(alice->next_event(), json::array({"leaved", "r", a}));
  EXPECT_EQ(bob->next_event(), json::array({"bye", "r", a}));
  alice->emit({"leave", "r"});
  EXPECT_EQ(alice->next_event()[1]["code"], "not-in-room");

  alice->emit({"join", "r"});
  alice->next();
  bob->next();  // otherjoin
  alice->peer->on_connection_closed();
  EXPECT_EQ(bob->next_event(), json::array({"bye", "r", a}));
  EXPECT_FALSE(registry.room_of(a));
  EXPECT_EQ(registry.room("r")->peers, (std::vector<std::string>{b}));
}

TEST_F(SocketioPeerTest, SocketioDisconnectPacketEndsThePeerButNotTheConnection) {
  auto alice = client();
  auto bob = client();
  const auto a = alice->connect();
  bob->connect();
  alice->emit({"join", "r"});
  bob->emit({"join", "r"});
  alice->sent.clear();
  bob->sent.clear();
  alice->say("1");
  EXPECT_EQ(bob->next_event(), json::array({"bye", "r", a}));
  EXPECT_FALSE(alice->peer->connected());
  EXPECT_EQ(alice->discards, 1);
  EXPECT_FALSE(alice->closed);
  // A new CONNECT is a new peer.
  EXPECT_NE(alice->connect(), a);
}

TEST_F(SocketioPeerTest, LeaveNamingAnotherRoomChangesNothing) {
  auto alice = client();
  alice->connect();
  alice->emit({"join", "r"});
  alice->next();
  alice->emit({"leave", "other"});
  EXPECT_EQ(alice->next_event()[1]["code"], "not-in-room");
  EXPECT_TRUE(registry.room_of(alice->peer->id()));
}

TEST_F(SocketioPeerTest, AcknowledgementsCarryTheOutcome) {
  auto alice = client();
  const auto a = alice->connect();
  alice->say("27[\"join\",\"r\"]");
  EXPECT_EQ(alice->next_event()[0], "joined");
  const std::string ack = alice->next();
  ASSERT_EQ(ack.rfind("437[", 0), 0u) << ack;
  const json result = json::parse(ack.substr(3))[0];
  EXPECT_EQ(result["ok"], true);
  EXPECT_EQ(result["room"], "r");
  EXPECT_EQ(result["id"], a);
  EXPECT_EQ(result["peers"], json::array());
  EXPECT_TRUE(result["iceServers"].is_array());

  alice->say("28[\"message\",\"r\",{}]");
  EXPECT_EQ(alice->next(), "438[{\"ok\":true}]");
  alice->say("29[\"message\",\"nope\",{}]");
  EXPECT_EQ(alice->next_event()[0], "parley-error");
  EXPECT_EQ(json::parse(alice->next().substr(3))[0]["code"], "not-in-room");
  alice->say("210[\"custom\",1]");
  EXPECT_EQ(alice->next(), "4310[{\"code\":\"unknown-type\",\"ok\":false}]");
  alice->emit({"custom", 1});  // no handler, no acknowledgement asked: nothing
  EXPECT_TRUE(alice->sent.empty());
  alice->say("3[\"client acks are ignored\"]");
  EXPECT_TRUE(alice->sent.empty());
  EXPECT_FALSE(alice->closed);
}

TEST_F(SocketioPeerTest, CrossesToNativePeers) {
  auto alice = client();
  const auto a = alice->connect();
  auto native = registry.make_link();
  const auto n = registry.connect(native).id;
  ASSERT_EQ(registry.join(n, "r").status, RoomRegistry::JoinStatus::joined);
  alice->emit({"join", "r"});
  alice->next();
  ASSERT_EQ(native->events.size(), 1u);
  EXPECT_EQ(std::get<PeerJoinedEvent>(native->events[0]).id, a);

  alice->emit({"message", "r", {{"type", "offer"}, {"sdp", "v=0"}}});
  ASSERT_EQ(native->events.size(), 2u);
  const auto& relay = std::get<RelayEvent>(native->events[1]);
  EXPECT_EQ(relay.message->type, "offer");
  EXPECT_EQ(json::parse(encode_relayed(*relay.message)),
            (json{{"type", "offer"}, {"sdp", "v=0"}, {"from", a}}));

  alice->emit({"message", "r", "plain text"});
  EXPECT_EQ(json::parse(encode_relayed(*std::get<RelayEvent>(native->events[2]).message)),
            (json{{"type", "message"}, {"data", "plain text"}, {"from", a}}));

  // The native peer's join and leave show as otherjoin / bye.
  registry.leave(n);
  EXPECT_EQ(alice->next_event(), json::array({"bye", "r", n}));
  registry.join(n, "r");
  EXPECT_EQ(alice->next_event(), json::array({"otherjoin", "r", n, json::object()}));
}

TEST_F(SocketioPeerTest, AdminKickIsLeaved) {
  auto alice = client();
  const auto a = alice->connect();
  alice->emit({"join", "r"});
  alice->next();
  ASSERT_TRUE(registry.kick_peer(a));
  EXPECT_EQ(alice->next_event(), json::array({"leaved", "r", a}));
}

TEST_F(SocketioPeerTest, RateLimitDropsThenCloses) {
  Config config;
  config.limits.message_burst = 2;
  config.limits.messages_per_second = 1;
  use(config);
  auto alice = client();
  alice->connect();         // one token
  alice->emit({"custom"});  // two
  alice->emit({"join", "r"});
  EXPECT_EQ(alice->next_event()[1]["code"], "rate-limited");
  EXPECT_FALSE(registry.room_of(alice->peer->id()));
  for (int i = 0; i < 10 && !alice->closed; ++i) alice->emit({"custom"});
  EXPECT_EQ(alice->closed, 1008);
}

// A dropped event is not parsed, but one that asks for an acknowledgement gets
// it, saying rate-limited: the client's callback learns which event was lost.
TEST_F(SocketioPeerTest, RateLimitedEventsGetTheirAcknowledgement) {
  Config config;
  config.limits.message_burst = 6;
  config.limits.messages_per_second = 0.001;
  use(config);
  auto alice = client();
  alice->connect();  // one token
  for (int i = 0; i < 5; ++i) alice->emit({"custom"});
  alice->say(R"(217["join","r"])");
  EXPECT_EQ(alice->next_event()[1]["code"], "rate-limited");
  EXPECT_EQ(alice->next(), R"(4317[{"code":"rate-limited","ok":false}])");
  alice->say(R"(2/,18["message","r",{}])");  // the default namespace written out
  EXPECT_EQ(alice->next_event()[1]["code"], "rate-limited");
  EXPECT_EQ(alice->next(), R"(4318[{"code":"rate-limited","ok":false}])");
  alice->say(R"(2["join","r"])");  // no acknowledgement asked for
  EXPECT_EQ(alice->next_event()[1]["code"], "rate-limited");
  EXPECT_TRUE(alice->sent.empty());
  EXPECT_FALSE(registry.room_of(alice->peer->id()));
}

TEST_F(SocketioPeerTest, AuthTokenComesWithConnect) {
  Config config;
  config.auth.jwt_secret = "secret";
  use(config);
  const auto token =
      sign_join_token_for_tests("secret", {{"room", "r"}, {"exp", clock.unix_now() + 60}});

  auto anonymous = client();
  anonymous->connect();
  anonymous->emit({"join", "r"});
  EXPECT_EQ(anonymous->next_event()[1]["code"], "unauthorized");

  auto holder = client();
  holder->say("0" + json{{"token", token}}.dump());
  holder->next();
  holder->emit({"join", "other"});
  EXPECT_EQ(holder->next_event()[1]["code"], "unauthorized");
  holder->emit({"join", "r"});
  EXPECT_EQ(holder->next_event()[0], "joined");

  auto wrong = client();
  wrong->say("0{\"token\":5}");
  const std::string refused = wrong->next();
  EXPECT_EQ(refused.rfind("44{", 0), 0u) << refused;
  EXPECT_FALSE(wrong->peer->connected());
}

}  // namespace
}  // namespace parley
