// The contract of RoomDirectory (rooms/room_directory.hpp), written against
// the interface only: every implementation must pass it unchanged. Add an
// implementation with one factory and one entry in `Implementations` below.
// The Redis directory needs a redis-server: parley_cluster_tests compiles this
// file again with PARLEY_CONTRACT_IMPLEMENTATIONS naming its factory
// (tests/cluster/redis_contract_implementations.hpp), label cluster.
//
// Completions and deliveries may come later and from another thread, so the
// tests wait for them (bounded), and drain each peer's inbox on a test loop,
// as a session's strand would.
#include "rooms/in_process_directory.hpp"
#include "rooms/room_directory.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.hpp"
#include "sync_directory.hpp"

namespace parley {
namespace {

using namespace std::chrono_literals;
constexpr auto kWait = 5s;  // a bound on waiting, never a pause

// --- implementations under test ------------------------------------------------

struct InProcess {
  static std::unique_ptr<RoomDirectory> make(const Clock& clock, const DirectoryLimits& limits) {
    return std::make_unique<InProcessDirectory>(clock, limits);
  }
};

#ifdef PARLEY_CONTRACT_IMPLEMENTATIONS
}  // namespace
}  // namespace parley
#include PARLEY_CONTRACT_IMPLEMENTATIONS  // defines parley::Implementations
namespace parley {
namespace {
#else
using Implementations = ::testing::Types<InProcess>;
#endif

// Whether resume grace runs on the Clock handed to make() (in process), or on
// the backend's own clock (Redis: a factory says `kGraceOnGivenClock = false`),
// where next_deadline() and expire() have nothing to say and the backend's
// sweep is tested with the backend.
template <class Factory>
constexpr bool grace_on_given_clock() {
  if constexpr (requires { Factory::kGraceOnGivenClock; })
    return Factory::kGraceOnGivenClock;
  else
    return true;
}

using testing::FakeLink;

template <class Factory>
class RoomDirectoryContract : public ::testing::Test {
 protected:
  RoomDirectoryContract() { directory_ = Factory::make(clock_, limits()); }
  ~RoomDirectoryContract() override { directory_->clear(); }

  static DirectoryLimits limits() {
    DirectoryLimits limits;
    limits.max_peers_per_room = 3;
    limits.max_rooms = 4;
    limits.resume_grace = 10;
    limits.resume_buffer_messages = 3;
    limits.resume_buffer_bytes = 1000;
    limits.max_watches = 2;
    return limits;
  }

  RoomDirectory& directory() { return *directory_; }

  struct Peer {
    std::shared_ptr<FakeLink> peer;
    std::string id;
    std::string token;
    PeerLink* link() const { return peer->peer_link.get(); }
  };
  Peer connect(bool resumable = true) {
    auto peer = std::make_shared<FakeLink>(loop_, resumable);
    auto connected = directory_->connect(std::shared_ptr<PeerLink>(peer, peer->peer_link.get()));
    return {std::move(peer), connected.id, connected.resume_token};
  }

  // Waits for a completion, however the implementation delivers it.
  template <class T, class Start>
  T await(Start&& start) {
    auto promise = std::make_shared<std::promise<T>>();
    auto future = promise->get_future();
    start([promise](T value) { promise->set_value(std::move(value)); });
    for (auto deadline = std::chrono::steady_clock::now() + kWait;
         future.wait_for(1ms) != std::future_status::ready;) {
      loop_.poll();
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << "no completion";
        break;
      }
    }
    return future.get();
  }

  RoomDirectory::JoinResult join(const Peer& p, const std::string& room, JoinOptions options = {}) {
    return await<RoomDirectory::JoinResult>(
        [&](auto done) { directory_->join(p.id, room, std::move(options), std::move(done)); });
  }
  RoomDirectory::MetaResult update_meta(const Peer& p, nlohmann::json meta) {
    return await<RoomDirectory::MetaResult>(
        [&](auto done) { directory_->update_meta(p.id, std::move(meta), std::move(done)); });
  }
  RoomDirectory::WatchResult watch(const Peer& p, const std::string& room) {
    return await<RoomDirectory::WatchResult>(
        [&](auto done) { directory_->watch(p.id, room, std::move(done)); });
  }
  bool unwatch(const Peer& p, const std::string& room) {
    return await<bool>([&](auto done) { directory_->unwatch(p.id, room, std::move(done)); });
  }
  std::optional<std::string> leave(const Peer& p) {
    return await<std::optional<std::string>>(
        [&](auto done) { directory_->leave(p.id, std::move(done)); });
  }
  std::optional<RoomDirectory::Resumed> resume(const std::string& token, const Peer& newcomer) {
    return await<std::optional<RoomDirectory::Resumed>>([&](auto done) {
      directory_->resume(token, newcomer.id,
                         std::shared_ptr<PeerLink>(newcomer.peer, newcomer.link()),
                         std::move(done));
    });
  }
  std::optional<RoomInfo> room(const std::string& name) {
    return await<std::optional<RoomInfo>>(
        [&](auto done) { directory_->room(name, std::move(done)); });
  }
  std::vector<RoomInfo> rooms() {
    return await<std::vector<RoomInfo>>([&](auto done) { directory_->rooms(std::move(done)); });
  }
  bool kick_room(const std::string& name) {
    return await<bool>([&](auto done) { directory_->kick_room(name, std::move(done)); });
  }
  bool kick_peer(const std::string& id) {
    return await<bool>([&](auto done) { directory_->kick_peer(id, std::move(done)); });
  }
  RoomDirectory::ServerMessageResult server_message(const std::string& room,
                                                    const std::string& data,
                                                    const std::string* to = nullptr) {
    return await<RoomDirectory::ServerMessageResult>(
        [&](auto done) { directory_->send_server_message(room, to, data, std::move(done)); });
  }
  RoomDirectory::RelayStatus relay(const Peer& from, const std::string& text,
                                   const std::string* to = nullptr,
                                   const std::string& type = "offer") {
    return directory_->relay(from.id, to, RelayDraft{type, text, false, RelayShape::signal});
  }

  // Runs the peers' drains until `done()` holds (bounded).
  template <class Done>
  void settle(Done&& done) {
    const auto deadline = std::chrono::steady_clock::now() + kWait;
    while (!done()) {
      loop_.poll();
      std::this_thread::yield();
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << "the expected deliveries did not arrive";
        return;
      }
    }
  }
  // Runs every drain scheduled so far (for "nothing else arrived" checks).
  void drain() { loop_.poll(); }

  ManualClock clock_;
  testing::TestLoop loop_;                    // before the directory: destroyed after it
  std::shared_ptr<RoomDirectory> directory_;  // a factory may own more through it
};

TYPED_TEST_SUITE(RoomDirectoryContract, Implementations);

TYPED_TEST(RoomDirectoryContract, JoinCreatesTheRoomAndTellsTheOthers) {
  auto a = this->connect();
  auto b = this->connect();
  EXPECT_NE(a.id, b.id);
  auto first = this->join(a, "r");
  EXPECT_EQ(first.status, RoomDirectory::JoinStatus::joined);
  EXPECT_TRUE(first.peers.empty());
  auto second = this->join(b, "r");
  EXPECT_EQ(second.status, RoomDirectory::JoinStatus::joined);
  EXPECT_EQ(second.peers, std::vector<std::string>{a.id});
  this->settle([&] { return a.peer->template of_kind<PeerJoinedEvent>().size() == 1; });
  EXPECT_EQ(a.peer->template of_kind<PeerJoinedEvent>()[0].id, b.id);
  EXPECT_EQ(a.peer->template of_kind<PeerJoinedEvent>()[0].room, "r");
  this->drain();
  EXPECT_TRUE(b.peer->events.empty());  // nobody joined after b
  EXPECT_EQ(this->directory().room_of(b.id), "r");
}

TYPED_TEST(RoomDirectoryContract, CapacityRoomLimitAndAlreadyInRoom) {
  std::vector<typename TestFixture::Peer> peers;
  for (int i = 0; i < 4; ++i) peers.push_back(this->connect());
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(this->join(peers[i], "full").status, RoomDirectory::JoinStatus::joined);
  EXPECT_EQ(this->join(peers[3], "full").status, RoomDirectory::JoinStatus::full);
  EXPECT_EQ(this->join(peers[0], "other").status, RoomDirectory::JoinStatus::already_in_room);
  // max_rooms is 4: three more rooms fit, a fifth does not.
  std::vector<typename TestFixture::Peer> loners;
  for (int i = 0; i < 4; ++i) loners.push_back(this->connect());
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(this->join(loners[i], "room" + std::to_string(i)).status,
              RoomDirectory::JoinStatus::joined);
  EXPECT_EQ(this->join(loners[3], "one-too-many").status, RoomDirectory::JoinStatus::room_limit);
  // An existing room still takes a peer.
  EXPECT_EQ(this->join(peers[3], "room0").status, RoomDirectory::JoinStatus::joined);
}

TYPED_TEST(RoomDirectoryContract, JoinOfAnUnknownPeerIsAnswered) {
  auto result = this->template await<RoomDirectory::JoinResult>(
      [&](auto done) { this->directory().join("nobody", "r", {}, std::move(done)); });
  EXPECT_EQ(result.status, RoomDirectory::JoinStatus::no_such_peer);
}

TYPED_TEST(RoomDirectoryContract, RelayReachesEveryOtherPeerOrOnlyTheAddressee) {
  auto a = this->connect();
  auto b = this->connect();
  auto c = this->connect();
  for (auto* p : {&a, &b, &c}) this->join(*p, "r");
  this->settle([&] { return a.peer->event_count() == 2 && b.peer->event_count() == 1; });

  EXPECT_EQ(this->relay(a, R"({"type":"offer","n":1})"), RoomDirectory::RelayStatus::ok);
  this->settle([&] { return b.peer->relayed().size() == 1 && c.peer->relayed().size() == 1; });
  const auto message = b.peer->template of_kind<RelayEvent>()[0].message;
  EXPECT_EQ(message->text, R"({"type":"offer","n":1})");
  EXPECT_EQ(message->sender, a.id);
  EXPECT_EQ(message->room, "r");
  EXPECT_EQ(message->type, "offer");
  EXPECT_TRUE(a.peer->relayed().empty());  // never to the sender

  EXPECT_EQ(this->relay(a, R"({"type":"offer","n":2})", &c.id), RoomDirectory::RelayStatus::ok);
  this->settle([&] { return c.peer->relayed().size() == 2; });
  this->drain();
  EXPECT_EQ(b.peer->relayed().size(), 1u);

  const std::string self = a.id, stranger = "nobody";
  EXPECT_EQ(this->relay(a, "{}", &self), RoomDirectory::RelayStatus::unknown_peer);
  EXPECT_EQ(this->relay(a, "{}", &stranger), RoomDirectory::RelayStatus::unknown_peer);
  auto loner = this->connect();
  EXPECT_EQ(this->relay(loner, "{}"), RoomDirectory::RelayStatus::not_in_room);
}

TYPED_TEST(RoomDirectoryContract, AServerMessageReachesTheRoomOrOnePeerNeverWatchers) {
  using S = RoomDirectory::ServerMessageStatus;
  auto a = this->connect();
  auto b = this->connect();
  auto watcher = this->connect();
  this->watch(watcher, "r");
  this->join(a, "r");
  this->join(b, "r");
  this->settle([&] { return a.peer->event_count() == 1 && watcher.peer->event_count() == 2; });

  auto result = this->server_message("r", R"({"n":1})");
  EXPECT_EQ(result.status, S::delivered);
  EXPECT_EQ(result.receivers, 2u);
  this->settle([&] { return a.peer->relayed().size() == 1 && b.peer->relayed().size() == 1; });
  const auto message = a.peer->template of_kind<RelayEvent>()[0].message;
  EXPECT_EQ(message.get(), b.peer->template of_kind<RelayEvent>()[0].message.get());
  EXPECT_EQ(message->shape, RelayShape::server);
  EXPECT_EQ(message->text, R"({"n":1})");
  EXPECT_EQ(message->room, "r");
  EXPECT_EQ(message->sender, "");

  result = this->server_message("r", "2", &b.id);
  EXPECT_EQ(result.status, S::delivered);
  EXPECT_EQ(result.receivers, 1u);
  this->settle([&] { return b.peer->relayed().size() == 2; });
  this->drain();
  EXPECT_EQ(a.peer->relayed().size(), 1u);
  EXPECT_TRUE(watcher.peer->relayed().empty());

  const std::string stranger = watcher.id;
  EXPECT_EQ(this->server_message("r", "3", &stranger).status, S::no_such_peer);
  EXPECT_EQ(this->server_message("nowhere", "3").status, S::no_such_room);
}

TYPED_TEST(RoomDirectoryContract, ALostPeerKeepsServerMessagesInOrderWithRelays) {
  auto a = this->connect();
  auto b = this->connect();
  this->join(a, "r");
  this->join(b, "r");
  this->settle([&] { return a.peer->event_count() == 1; });
  this->directory().lost(b.id, b.link());
  this->relay(a, R"({"type":"offer","n":1})");
  const auto result = this->server_message("r", R"("kept")", &b.id);
  EXPECT_EQ(result.status, RoomDirectory::ServerMessageStatus::delivered);
  EXPECT_EQ(result.receivers, 1u);
  this->relay(a, R"({"type":"offer","n":2})");
  auto newcomer = this->connect();
  auto resumed = this->resume(b.token, newcomer);
  ASSERT_TRUE(resumed);
  ASSERT_EQ(resumed->kept.size(), 3u);
  EXPECT_EQ(resumed->kept[0]->text, R"({"type":"offer","n":1})");
  EXPECT_EQ(resumed->kept[1]->shape, RelayShape::server);
  EXPECT_EQ(resumed->kept[1]->text, R"("kept")");
  EXPECT_EQ(resumed->kept[2]->text, R"({"type":"offer","n":2})");
}

TYPED_TEST(RoomDirectoryContract, OneMessageIsSharedByEveryReceiver) {
  auto a = this->connect();
  auto b = this->connect();
  auto c = this->connect();
  for (auto* p : {&a, &b, &c}) this->join(*p, "r");
  this->relay(a, R"({"type":"offer"})");
  this->settle([&] { return b.peer->relayed().size() == 1 && c.peer->relayed().size() == 1; });
  EXPECT_EQ(b.peer->template of_kind<RelayEvent>()[0].message.get(),
            c.peer->template of_kind<RelayEvent>()[0].message.get());
}

TYPED_TEST(RoomDirectoryContract, ASendersMessagesArriveInOrder) {
  auto a = this->connect();
  auto b = this->connect();
  this->join(a, "r");
  this->join(b, "r");
  std::vector<std::string> sent;
  for (int i = 0; i < 50; ++i) {
    sent.push_back(R"({"type":"offer","n":)" + std::to_string(i) + "}");
    this->relay(a, sent.back());
  }
  this->settle([&] { return b.peer->relayed().size() == sent.size(); });
  EXPECT_EQ(b.peer->relayed(), sent);
}

TYPED_TEST(RoomDirectoryContract, LeaveEndAndLostTellTheOthers) {
  auto a = this->connect();
  auto b = this->connect(/*resumable=*/false);
  auto c = this->connect();
  auto d = this->connect();
  for (auto* p : {&a, &b, &c}) this->join(*p, "r");
  this->join(d, "r2");

  EXPECT_EQ(this->leave(c), "r");
  EXPECT_EQ(this->leave(c), std::nullopt);  // in no room now
  this->directory().end(c.id, c.link());
  this->directory().lost(b.id, b.link());  // not resumable: gone at once
  this->settle([&] { return a.peer->template of_kind<PeerLeftEvent>().size() == 2; });
  const auto left = a.peer->template of_kind<PeerLeftEvent>();
  EXPECT_EQ(left[0].id, c.id);
  EXPECT_EQ(left[0].reason, LeaveReason::leave);
  EXPECT_EQ(left[1].id, b.id);
  EXPECT_EQ(left[1].reason, LeaveReason::disconnect);

  this->directory().end(a.id, a.link());
  EXPECT_EQ(this->room("r"), std::nullopt);             // the last one out closes the room
  EXPECT_EQ(this->directory().counts().connected, 1u);  // d only
}

TYPED_TEST(RoomDirectoryContract, EndFromALinkThatNoLongerOwnsThePeerChangesNothing) {
  auto a = this->connect();
  this->join(a, "r");
  auto other = this->connect();
  this->directory().end(a.id, other.link());
  this->directory().lost(a.id, other.link());
  EXPECT_EQ(this->directory().room_of(a.id), "r");
}

TYPED_TEST(RoomDirectoryContract, ALostPeerKeepsItsSeatAndResumesWithItsKeptMessages) {
  auto a = this->connect();
  auto b = this->connect();
  this->join(a, "r");
  this->join(b, "r");
  this->settle([&] { return a.peer->event_count() == 1; });
  ASSERT_FALSE(b.token.empty());

  // What b's session had not written yet is kept first.
  auto unsent = RelayedMessage::make(
      RelayDraft{"offer", R"({"type":"offer","n":0})", false, RelayShape::signal}, "r", a.id);
  b.peer->unsent.push_back(unsent);
  this->directory().lost(b.id, b.link());
  this->relay(a, R"({"type":"offer","n":1})");
  this->relay(a, R"({"type":"offer","n":2})");
  this->drain();
  EXPECT_TRUE(a.peer->template of_kind<PeerLeftEvent>().empty());  // still seated
  if (grace_on_given_clock<TypeParam>()) {
    EXPECT_EQ(this->directory().next_deadline(), 10.0);
  }

  auto newcomer = this->connect();
  auto resumed = this->resume(b.token, newcomer);
  ASSERT_TRUE(resumed);
  EXPECT_EQ(resumed->id, b.id);
  EXPECT_EQ(resumed->room, "r");
  EXPECT_EQ(resumed->peers, std::vector<std::string>{a.id});
  EXPECT_NE(resumed->resume_token, b.token);
  ASSERT_EQ(resumed->kept.size(), 3u);
  EXPECT_EQ(resumed->kept[0]->text, R"({"type":"offer","n":0})");
  EXPECT_EQ(resumed->kept[2]->text, R"({"type":"offer","n":2})");
  if (grace_on_given_clock<TypeParam>()) {
    EXPECT_FALSE(this->directory().next_deadline().has_value());
  }

  // The new link receives from now on; the old token is spent.
  this->relay(a, R"({"type":"offer","n":3})");
  this->settle([&] { return newcomer.peer->relayed().size() == 1; });
  auto another = this->connect();
  EXPECT_FALSE(this->resume(b.token, another));
}

TYPED_TEST(RoomDirectoryContract, KeptMessagesAreCapped) {
  auto a = this->connect();
  auto b = this->connect();
  this->join(a, "r");
  this->join(b, "r");
  this->directory().lost(b.id, b.link());
  for (int i = 0; i < 5; ++i) this->relay(a, R"({"type":"offer","n":)" + std::to_string(i) + "}");
  auto newcomer = this->connect();
  auto resumed = this->resume(b.token, newcomer);
  ASSERT_TRUE(resumed);
  ASSERT_EQ(resumed->kept.size(), 3u);  // resume_buffer_messages: the newest stay
  EXPECT_EQ(resumed->kept.front()->text, R"({"type":"offer","n":2})");
}

TYPED_TEST(RoomDirectoryContract, ALiveConnectionIsSupersededByAResume) {
  auto a = this->connect();
  this->join(a, "r");
  auto newcomer = this->connect();
  auto resumed = this->resume(a.token, newcomer);
  ASSERT_TRUE(resumed);
  EXPECT_TRUE(a.peer->superseded_count.load() == 1);
  // The old link no longer owns the peer: its end changes nothing.
  this->directory().end(a.id, a.link());
  EXPECT_EQ(this->directory().room_of(a.id), "r");
}

TYPED_TEST(RoomDirectoryContract, ResumeFailsForUnknownOwnAndNonResumableTokens) {
  auto a = this->connect();
  EXPECT_FALSE(this->resume("no-such-token", a));
  EXPECT_FALSE(this->resume(a.token, a));  // its own fresh token
  auto plain = this->connect(/*resumable=*/false);
  EXPECT_TRUE(plain.token.empty());
}

TYPED_TEST(RoomDirectoryContract, GraceOverEndsTheAwayPeerAsATimeout) {
  if (!grace_on_given_clock<TypeParam>())
    GTEST_SKIP() << "grace runs on the backend's clock; its sweep is tested with the backend";
  auto a = this->connect();
  auto b = this->connect();
  this->join(a, "r");
  this->join(b, "r");
  this->directory().lost(b.id, b.link());
  this->clock_.advance(9.5);
  EXPECT_EQ(this->directory().expire(), 0u);
  this->clock_.advance(1);
  EXPECT_EQ(this->directory().expire(), 1u);
  this->settle([&] { return !a.peer->template of_kind<PeerLeftEvent>().empty(); });
  EXPECT_EQ(a.peer->template of_kind<PeerLeftEvent>()[0].reason, LeaveReason::timeout);
  auto newcomer = this->connect();
  EXPECT_FALSE(this->resume(b.token, newcomer));
}

TYPED_TEST(RoomDirectoryContract, AdminQueriesAndKicks) {
  auto a = this->connect();
  auto b = this->connect();
  auto c = this->connect();
  this->join(a, "beta");
  this->join(b, "beta");
  this->join(c, "alpha");
  const auto all = this->rooms();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "alpha");
  EXPECT_EQ(all[1].peers, (std::vector<std::string>{a.id, b.id}));
  EXPECT_EQ(this->room("beta")->peers.size(), 2u);
  EXPECT_EQ(this->room("gamma"), std::nullopt);

  EXPECT_TRUE(this->kick_peer(a.id));
  EXPECT_FALSE(this->kick_peer(a.id));  // in no room any more
  this->settle([&] {
    return a.peer->template of_kind<RemovedEvent>().size() == 1 &&
           !b.peer->template of_kind<PeerLeftEvent>().empty();
  });
  EXPECT_EQ(b.peer->template of_kind<PeerLeftEvent>()[0].reason, LeaveReason::kicked);

  EXPECT_TRUE(this->kick_room("alpha"));
  EXPECT_FALSE(this->kick_room("alpha"));
  this->settle([&] { return c.peer->template of_kind<RemovedEvent>().size() == 1; });
  EXPECT_EQ(c.peer->template of_kind<RemovedEvent>()[0].reason, LeaveReason::kicked);
}

TYPED_TEST(RoomDirectoryContract, CountsFollowThePeers) {
  EXPECT_EQ(this->directory().counts().connected, 0u);
  auto a = this->connect();
  auto b = this->connect();
  this->join(a, "r");
  auto counts = this->directory().counts();
  EXPECT_EQ(counts.rooms, 1u);
  EXPECT_EQ(counts.seated, 1u);
  EXPECT_EQ(counts.connected, 2u);
  this->directory().lost(a.id, a.link());
  // Where grace runs on the backend (Redis), an away peer is the backend's, no
  // longer this node's: its share of the counts drops once the hand-over is done.
  if (!grace_on_given_clock<TypeParam>()) return;
  EXPECT_EQ(this->directory().counts().seated, 1u);  // away peers keep their seat
  this->directory().end(b.id, b.link());
  EXPECT_EQ(this->directory().counts().connected, 1u);
}

TYPED_TEST(RoomDirectoryContract, EventsWaitInAHeldInboxUntilReleased) {
  auto a = this->connect();
  auto b = this->connect();
  this->join(a, "r");
  a.peer->peer_link->hold();  // as a session does while a join is pending
  this->join(b, "r");
  this->drain();
  EXPECT_TRUE(a.peer->events.empty());
  a.peer->peer_link->release();
  this->settle([&] { return a.peer->event_count() == 1; });
}

TYPED_TEST(RoomDirectoryContract, JoinCarriesMetadataAndUpdatesReachTheOthers) {
  using nlohmann::json;
  auto a = this->connect();
  auto b = this->connect();
  JoinOptions ada;
  ada.meta = {{"name", "Ada"}};
  this->join(a, "r", ada);
  auto joined = this->join(b, "r");
  EXPECT_EQ(joined.meta, json({{a.id, {{"name", "Ada"}}}}));
  this->settle([&] { return a.peer->template of_kind<PeerJoinedEvent>().size() == 1; });
  EXPECT_EQ(a.peer->template of_kind<PeerJoinedEvent>()[0].meta, json::object());

  auto updated = this->update_meta(b, {{"name", "Bea"}});
  EXPECT_EQ(updated.status, RoomDirectory::MetaStatus::updated);
  EXPECT_EQ(updated.room, "r");
  this->settle([&] { return a.peer->template of_kind<PeerUpdatedEvent>().size() == 1; });
  EXPECT_EQ(a.peer->template of_kind<PeerUpdatedEvent>()[0].meta, json({{"name", "Bea"}}));
  this->drain();
  EXPECT_TRUE(b.peer->template of_kind<PeerUpdatedEvent>().empty());  // not to the sender
  EXPECT_EQ(this->room("r")->meta, json({{a.id, {{"name", "Ada"}}}, {b.id, {{"name", "Bea"}}}}));

  auto loner = this->connect();
  EXPECT_EQ(this->update_meta(loner, json::object()).status,
            RoomDirectory::MetaStatus::not_in_room);
}

TYPED_TEST(RoomDirectoryContract, TokenGrantsPinMetadataLimitRelaysAndSetCapacity) {
  auto a = this->connect();
  auto v = this->connect();
  auto c = this->connect();
  JoinOptions roomy;
  roomy.max_peers = 2;  // the room this join creates holds two
  this->join(a, "r", roomy);
  JoinOptions viewer;
  viewer.meta = {{"role", "viewer"}};
  viewer.meta_pinned = true;
  viewer.relays = kRelayAnswer;
  EXPECT_EQ(this->join(v, "r", viewer).status, RoomDirectory::JoinStatus::joined);
  EXPECT_EQ(this->join(c, "r").status, RoomDirectory::JoinStatus::full);

  EXPECT_EQ(this->update_meta(v, {{"role", "admin"}}).status, RoomDirectory::MetaStatus::forbidden);
  EXPECT_EQ(this->relay(v, R"({"type":"offer"})"), RoomDirectory::RelayStatus::forbidden);
  EXPECT_EQ(this->relay(v, R"({"type":"answer"})", nullptr, "answer"),
            RoomDirectory::RelayStatus::ok);
  this->settle([&] { return a.peer->relayed().size() == 1; });
  EXPECT_EQ(a.peer->relayed()[0], R"({"type":"answer"})");
}

TYPED_TEST(RoomDirectoryContract, AWatcherHearsPresenceButNoRelaysAndTakesNoSeat) {
  auto w = this->connect();
  auto a = this->connect();
  auto b = this->connect();
  auto watching = this->watch(w, "r");
  EXPECT_EQ(watching.status, RoomDirectory::WatchStatus::watching);
  EXPECT_TRUE(watching.peers.empty());
  EXPECT_EQ(this->directory().counts().rooms, 0u);  // watching creates no room
  this->join(a, "r");
  this->join(b, "r");
  this->relay(a, R"({"type":"offer"})");
  this->leave(b);
  this->settle([&] { return w.peer->template of_kind<PeerLeftEvent>().size() == 1; });
  EXPECT_EQ(w.peer->template of_kind<PeerJoinedEvent>().size(), 2u);
  EXPECT_TRUE(w.peer->relayed().empty());
  EXPECT_EQ(this->room("r")->peers, std::vector<std::string>{a.id});

  EXPECT_EQ(this->watch(w, "s").status, RoomDirectory::WatchStatus::watching);
  EXPECT_EQ(this->watch(w, "t").status, RoomDirectory::WatchStatus::watch_limit);  // two at most
  EXPECT_EQ(this->directory().counts().watches, 2u);
  EXPECT_TRUE(this->unwatch(w, "r"));
  EXPECT_FALSE(this->unwatch(w, "r"));
  this->directory().end(w.id, w.link());
  EXPECT_EQ(this->directory().counts().watches, 0u);  // watches end with the connection
}

TYPED_TEST(RoomDirectoryContract, ATakenOverConnectionsUnsentMessagesComeFirst) {
  auto a = this->connect();
  auto b = this->connect();
  this->join(a, "r");
  this->join(b, "r");
  auto newcomer = this->connect();
  auto resumed = this->resume(b.token, newcomer);
  ASSERT_TRUE(resumed);
  EXPECT_EQ(b.peer->superseded_count.load(), 1);
  // Relayed while the old connection has not handed its queue over: they wait.
  this->relay(a, R"({"type":"offer","n":2})");
  this->drain();
  EXPECT_TRUE(newcomer.peer->relayed().empty());
  auto old = RelayedMessage::make(
      RelayDraft{"offer", R"({"type":"offer","n":1})", false, RelayShape::signal}, "r", a.id);
  this->directory().hand_over(b.id, {old});
  this->settle([&] { return newcomer.peer->relayed().size() == 2; });
  EXPECT_EQ(newcomer.peer->relayed(),
            (std::vector<std::string>{R"({"type":"offer","n":1})", R"({"type":"offer","n":2})"}));
}

TYPED_TEST(RoomDirectoryContract, AMessageIsEncodedOncePerDialectAndRoundTripsItsEncoding) {
  auto a = this->connect();
  auto b = this->connect();
  auto c = this->connect();
  for (auto* p : {&a, &b, &c}) this->join(*p, "r");
  this->relay(a, R"({"type":"offer"})");
  this->settle([&] { return b.peer->relayed().size() == 1 && c.peer->relayed().size() == 1; });
  const auto mb = b.peer->template of_kind<RelayEvent>()[0].message;
  const auto mc = c.peer->template of_kind<RelayEvent>()[0].message;
  int encodings = 0;
  auto encode = [&] {
    ++encodings;
    return std::string("encoded");
  };
  const SharedText tb = RelayedMessage::encoded(mb, 0, encode);
  const SharedText tc = RelayedMessage::encoded(mc, 0, encode);
  EXPECT_EQ(encodings, 1);
  EXPECT_EQ(tb.get(), tc.get());  // one buffer for both receivers
  EXPECT_EQ(*tb, "encoded");
  EXPECT_EQ(RelayedMessage::of_encoding(tb).get(), mb.get());
  RelayedMessage::encoded(mb, 1, encode);  // another dialect: its own encoding
  EXPECT_EQ(encodings, 2);
}

}  // namespace
}  // namespace parley
