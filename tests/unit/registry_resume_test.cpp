// The resume state machine of the room registry, without sockets and without
// sleeping: a peer is connected, then away (lost, holding its id and seat),
// then either resumed by a new link or expired when its grace is over. Time
// moves only when a test moves it (ManualClock); the race tests use real
// threads against a clock that is safe to move while others read it.
#include "sync_directory.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <mutex>
#include <set>
#include <thread>
#include <utility>
#include <variant>

namespace parley {
namespace {

using testing::Dialect;
using testing::FakeLink;
using testing::texts;
using RoomRegistry = testing::SyncDirectory;

SharedMessage text(std::string s) {
  return testing::relayed_message(std::move(s));
}

testing::OwnedDraft relay_of(const std::string& body) {
  return testing::draft_of(body);
}

struct Member {
  std::string id;
  std::string token;
  std::shared_ptr<FakeLink> link;
};

class RegistryResumeTest : public ::testing::Test {
 protected:
  RegistryResumeTest() {
    limits.resume_grace = 10;
    limits.resume_buffer_messages = 64;
    limits.max_peers_per_room = 4;
    registry = std::make_unique<RoomRegistry>(clock, limits);
  }

  Member add(Dialect dialect = Dialect::native) {
    auto link = registry->make_link(dialect);
    auto c = registry->connect(link);
    return {c.id, c.resume_token, link};
  }
  Member add_in(const std::string& room) {
    Member m = add();
    EXPECT_EQ(registry->join(m.id, room).status, RoomRegistry::JoinStatus::joined);
    return m;
  }
  // A new connection taking `token` over: its provisional peer, then resume.
  std::pair<std::optional<RoomRegistry::Resumed>, Member> resume_with(const std::string& token) {
    Member fresh = add();
    auto resumed = registry->resume(token, fresh.id, fresh.link);
    return {std::move(resumed), fresh};
  }
  void relay(const Member& from, const std::string& body, const std::string* to = nullptr) {
    EXPECT_EQ(registry->relay(from.id, to, relay_of(body)), RoomRegistry::RelayStatus::ok);
  }

  ManualClock clock;
  DirectoryLimits limits;
  std::unique_ptr<RoomRegistry> registry;
};

// ---- tokens ------------------------------------------------------------------

TEST_F(RegistryResumeTest, EveryNativeConnectionGetsADistinctUnguessableToken) {
  std::set<std::string> tokens;
  for (int i = 0; i < 500; ++i) {
    Member m = add();
    // base64url: 6 bits per character, so 22 characters are 128 bits or more.
    EXPECT_GE(m.token.size(), 22u);
    EXPECT_EQ(m.token.find_first_not_of(
                  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
              std::string::npos);
    EXPECT_NE(m.token, m.id);
    tokens.insert(m.token);
  }
  EXPECT_EQ(tokens.size(), 500u);
}

TEST_F(RegistryResumeTest, SocketIoPeersGetNoToken) {
  EXPECT_TRUE(add(Dialect::socketio).token.empty());
}

TEST_F(RegistryResumeTest, UnknownTokenResumesNothingAndChangesNothing) {
  Member a = add_in("r");
  registry->lost(a.id, a.link.get());
  auto [resumed, fresh] = resume_with("not-a-token");
  EXPECT_FALSE(resumed);
  EXPECT_EQ(fresh.link->superseded_count.load(), 0);
  EXPECT_EQ(registry->connected_count(), 2u);  // the away peer and the fresh one
  EXPECT_EQ(registry->room_of(fresh.id), std::nullopt);
  EXPECT_EQ(registry->room_of(a.id), "r");
}

TEST_F(RegistryResumeTest, AConnectionCannotResumeItsOwnFreshToken) {
  Member a = add();
  EXPECT_FALSE(registry->resume(a.token, a.id, a.link));
  EXPECT_EQ(a.link->superseded_count.load(), 0);
  EXPECT_EQ(registry->connected_count(), 1u);
}

// ---- connected -> away ---------------------------------------------------------

TEST_F(RegistryResumeTest, LostPeerKeepsIdAndSeatAndTheRoomIsToldNothing) {
  Member a = add_in("r");
  Member b = add_in("r");
  const auto b_events = b.link->event_count();
  registry->lost(a.id, a.link.get());

  EXPECT_EQ(b.link->event_count(), b_events);
  EXPECT_EQ(registry->room_of(a.id), "r");
  EXPECT_EQ(registry->peer_count(), 2u);
  EXPECT_EQ(registry->room("r")->peers, (std::vector<std::string>{a.id, b.id}));
  EXPECT_EQ(registry->next_deadline(), 10.0);
  // The seat still counts: a third and fourth joiner fill the room of four.
  add_in("r");
  add_in("r");
  EXPECT_EQ(registry->join(add().id, "r").status, RoomRegistry::JoinStatus::full);
}

TEST_F(RegistryResumeTest, LostTakesTheLinksUnsentMessagesFirst) {
  Member a = add_in("r");
  Member b = add_in("r");
  a.link->unsent = {text("u1"), text("u2")};
  registry->lost(a.id, a.link.get());
  EXPECT_EQ(a.link->take_unsent_calls, 1);
  relay(b, "m3");
  auto [resumed, fresh] = resume_with(a.token);
  ASSERT_TRUE(resumed);
  EXPECT_EQ(texts(resumed->kept), (std::vector<std::string>{"u1", "u2", "m3"}));
}

TEST_F(RegistryResumeTest, OnlyRelayedMessagesAreKeptPresenceComesWithResumed) {
  Member a = add_in("r");
  Member b = add_in("r");
  registry->lost(a.id, a.link.get());
  relay(b, "before");
  Member c = add_in("r");   // peer-joined: not kept
  registry->leave(b.id);    // peer-left: not kept
  relay(c, "to-a", &a.id);  // targeted: kept
  auto [resumed, fresh] = resume_with(a.token);
  ASSERT_TRUE(resumed);
  EXPECT_EQ(texts(resumed->kept), (std::vector<std::string>{"before", "to-a"}));
  EXPECT_EQ(resumed->peers, std::vector<std::string>{c.id});
  EXPECT_TRUE(fresh.link->events.empty());
}

TEST_F(RegistryResumeTest, KeptMessagesPastTheCountLimitDropTheOldest) {
  limits.resume_buffer_messages = 3;
  registry->set_limits(limits);
  Member a = add_in("r");
  Member b = add_in("r");
  a.link->unsent = {text("0"), text("1")};
  registry->lost(a.id, a.link.get());
  for (int i = 2; i < 7; ++i) relay(b, std::to_string(i));
  auto [resumed, fresh] = resume_with(a.token);
  ASSERT_TRUE(resumed);
  EXPECT_EQ(texts(resumed->kept), (std::vector<std::string>{"4", "5", "6"}));
}

TEST_F(RegistryResumeTest, KeptMessagesCountAgainstTheByteLimit) {
  Member a = add_in("r");
  Member b = add_in("r");
  // Each counts as the frame a receiver gets: the text with `"from":"<id>",`.
  const std::size_t each = 4 + b.id.size() + 10;
  limits.resume_buffer_bytes = 2 * each + 2;
  registry->set_limits(limits);
  registry->lost(a.id, a.link.get());
  relay(b, "aaaa");
  relay(b, "bbbb");
  relay(b, "cccc");  // three frames in all: the oldest goes
  auto [resumed, fresh] = resume_with(a.token);
  ASSERT_TRUE(resumed);
  EXPECT_EQ(texts(resumed->kept), (std::vector<std::string>{"bbbb", "cccc"}));
}

TEST_F(RegistryResumeTest, ZeroBufferKeepsNothingButStillResumes) {
  limits.resume_buffer_messages = 0;
  registry->set_limits(limits);
  Member a = add_in("r");
  Member b = add_in("r");
  registry->lost(a.id, a.link.get());
  relay(b, "gone");
  auto [resumed, fresh] = resume_with(a.token);
  ASSERT_TRUE(resumed);
  EXPECT_TRUE(resumed->kept.empty());
  EXPECT_EQ(resumed->room, "r");
}

// ---- away -> resumed -----------------------------------------------------------

TEST_F(RegistryResumeTest, ResumeRestoresIdRoomPeersAndIssuesASingleUseToken) {
  Member a = add_in("r");
  Member b = add_in("r");
  Member c = add_in("r");
  registry->lost(a.id, a.link.get());
  clock.advance(9.5);
  auto [resumed, fresh] = resume_with(a.token);
  ASSERT_TRUE(resumed);
  EXPECT_EQ(resumed->id, a.id);
  EXPECT_EQ(resumed->room, "r");
  EXPECT_EQ(resumed->peers, (std::vector<std::string>{b.id, c.id}));
  EXPECT_NE(resumed->resume_token, a.token);
  EXPECT_NE(resumed->resume_token, fresh.token);
  EXPECT_GE(resumed->resume_token.size(), 22u);

  // The provisional peer of the new connection is gone; the seat is unchanged.
  EXPECT_EQ(registry->connected_count(), 3u);
  EXPECT_EQ(registry->room("r")->peers, (std::vector<std::string>{a.id, b.id, c.id}));
  EXPECT_EQ(registry->next_deadline(), std::nullopt);
  EXPECT_EQ(b.link->event_count(), 1u);  // only c's peer-joined, from before

  // Neither the spent token nor the provisional one works any more...
  registry->lost(a.id, fresh.link.get());
  EXPECT_FALSE(resume_with(a.token).first);
  EXPECT_FALSE(resume_with(fresh.token).first);
  // ...the new one does, once.
  auto [again, third] = resume_with(resumed->resume_token);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->id, a.id);
  registry->lost(a.id, third.link.get());
  EXPECT_FALSE(resume_with(resumed->resume_token).first);
}

TEST_F(RegistryResumeTest, ResumedLinkGetsLiveTrafficAndSpeaksAsThePeer) {
  Member a = add_in("r");
  Member b = add_in("r");
  registry->lost(a.id, a.link.get());
  relay(b, "kept");
  auto [resumed, fresh] = resume_with(a.token);
  ASSERT_TRUE(resumed);
  relay(b, "live");
  EXPECT_EQ(fresh.link->relayed(), std::vector<std::string>{"live"});
  EXPECT_TRUE(a.link->relayed().empty());
  relay(a, "from-a");  // the peer's id now speaks through the new link
  EXPECT_EQ(b.link->relayed(), std::vector<std::string>{"from-a"});
}

TEST_F(RegistryResumeTest, PeerInNoRoomResumesWithNullRoom) {
  Member a = add();
  registry->lost(a.id, a.link.get());
  auto [resumed, fresh] = resume_with(a.token);
  ASSERT_TRUE(resumed);
  EXPECT_EQ(resumed->id, a.id);
  EXPECT_EQ(resumed->room, std::nullopt);
  EXPECT_TRUE(resumed->peers.empty());
}

TEST_F(RegistryResumeTest, PeerKickedWhileAwayResumesWithNullRoom) {
  Member a = add_in("r");
  Member b = add_in("r");
  registry->lost(a.id, a.link.get());
  relay(b, "before-kick");
  EXPECT_TRUE(registry->kick_peer(a.id));
  const auto left = b.link->of_kind<PeerLeftEvent>();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].reason, LeaveReason::kicked);
  auto [resumed, fresh] = resume_with(a.token);
  ASSERT_TRUE(resumed);
  EXPECT_EQ(resumed->room, std::nullopt);
  EXPECT_TRUE(resumed->peers.empty());
  EXPECT_EQ(texts(resumed->kept), std::vector<std::string>{"before-kick"});
  EXPECT_TRUE(fresh.link->events.empty());  // the removal is not replayed
}

TEST_F(RegistryResumeTest, RoomWhoseOnlyPeerIsAwayLivesOnUntilTheGraceEnds) {
  Member a = add_in("solo");
  registry->lost(a.id, a.link.get());
  EXPECT_EQ(registry->room_count(), 1u);
  EXPECT_EQ(registry->room("solo")->peers, std::vector<std::string>{a.id});

  // Resumed: still in its room.
  auto [resumed, fresh] = resume_with(a.token);
  ASSERT_TRUE(resumed);
  EXPECT_EQ(resumed->room, "solo");
  EXPECT_TRUE(resumed->peers.empty());

  // Lost again and not resumed: the room goes with it.
  registry->lost(a.id, fresh.link.get());
  clock.advance(10);
  EXPECT_EQ(registry->expire(), 1u);
  EXPECT_EQ(registry->room_count(), 0u);
  EXPECT_EQ(registry->connected_count(), 0u);
}

TEST_F(RegistryResumeTest, RoomEmptiedByTheOthersWaitsForItsAwayPeer) {
  Member a = add_in("r");
  Member b = add_in("r");
  registry->lost(a.id, a.link.get());
  registry->leave(b.id);
  registry->end(b.id, b.link.get());
  EXPECT_EQ(registry->room("r")->peers, std::vector<std::string>{a.id});
  Member c = add();
  EXPECT_EQ(registry->join(c.id, "r").peers, std::vector<std::string>{a.id});
  registry->leave(c.id);
  clock.advance(10);
  EXPECT_EQ(registry->expire(), 1u);
  EXPECT_EQ(registry->room_count(), 0u);
  EXPECT_EQ(registry->peer_count(), 0u);
}

TEST_F(RegistryResumeTest, ClosingARoomWhoseOnlyPeerIsAwayDestroysIt) {
  Member a = add_in("r");
  registry->lost(a.id, a.link.get());
  EXPECT_TRUE(registry->kick_room("r"));
  EXPECT_EQ(registry->room_count(), 0u);
  auto [resumed, fresh] = resume_with(a.token);
  ASSERT_TRUE(resumed);
  EXPECT_EQ(resumed->room, std::nullopt);
  // The kick took the seat, not the peer: it resumed, and it is the only one left.
  EXPECT_EQ(registry->connected_count(), 1u);
}

TEST_F(RegistryResumeTest, RelayToAnAwayPeerIsKeptToSelfOrAGonePeerIsUnknown) {
  Member a = add_in("r");
  Member b = add_in("r");
  registry->lost(a.id, a.link.get());
  relay(b, "for-a", &a.id);
  EXPECT_EQ(registry->relay(b.id, &b.id, relay_of("self")),
            RoomRegistry::RelayStatus::unknown_peer);
  clock.advance(10);
  registry->expire();
  EXPECT_EQ(registry->relay(b.id, &a.id, relay_of("late")),
            RoomRegistry::RelayStatus::unknown_peer);
}

// ---- away -> expired -----------------------------------------------------------

TEST_F(RegistryResumeTest, GraceOverTellsTheRoomTimeoutOnceAndFreesTheSeat) {
  Member a = add_in("r");
  Member b = add_in("r");
  registry->lost(a.id, a.link.get());
  clock.advance(9.75);
  EXPECT_EQ(registry->expire(), 0u);
  EXPECT_TRUE(b.link->of_kind<PeerLeftEvent>().empty());
  EXPECT_EQ(registry->next_deadline(), 0.25);

  clock.advance(0.25);  // exactly at the deadline
  EXPECT_EQ(registry->next_deadline(), 0.0);
  EXPECT_EQ(registry->expire(), 1u);
  const auto left = b.link->of_kind<PeerLeftEvent>();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].id, a.id);
  EXPECT_EQ(left[0].room, "r");
  EXPECT_EQ(left[0].reason, LeaveReason::timeout);
  EXPECT_EQ(registry->room("r")->peers, std::vector<std::string>{b.id});
  EXPECT_EQ(registry->peer_count(), 1u);
  EXPECT_EQ(registry->connected_count(), 1u);
  EXPECT_EQ(registry->next_deadline(), std::nullopt);

  EXPECT_EQ(registry->expire(), 0u);
  EXPECT_EQ(b.link->of_kind<PeerLeftEvent>().size(), 1u);
  EXPECT_FALSE(resume_with(a.token).first);
}

TEST_F(RegistryResumeTest, ResumeAtTheDeadlineFailsEvenBeforeTheSweepRan) {
  Member a = add_in("r");
  Member b = add_in("r");
  registry->lost(a.id, a.link.get());
  clock.advance(10);
  auto [resumed, fresh] = resume_with(a.token);
  EXPECT_FALSE(resumed);
  // The failed attempt changed nothing: the sweep still ends the peer as a timeout.
  EXPECT_EQ(registry->room_of(a.id), "r");
  EXPECT_EQ(registry->expire(), 1u);
  ASSERT_EQ(b.link->of_kind<PeerLeftEvent>().size(), 1u);
  EXPECT_EQ(b.link->of_kind<PeerLeftEvent>()[0].reason, LeaveReason::timeout);
  EXPECT_EQ(registry->room_of(fresh.id), std::nullopt);  // the new connection is a fresh peer
}

TEST_F(RegistryResumeTest, EachAwayPeerHasItsOwnDeadline) {
  Member a = add_in("r");
  Member b = add_in("r");
  Member c = add_in("r");
  registry->lost(a.id, a.link.get());
  clock.advance(4);
  registry->lost(b.id, b.link.get());
  EXPECT_EQ(registry->next_deadline(), 6.0);
  clock.advance(6);
  EXPECT_EQ(registry->expire(), 1u);
  EXPECT_EQ(registry->next_deadline(), 4.0);
  clock.advance(4);
  EXPECT_EQ(registry->expire(), 1u);
  const auto left = c.link->of_kind<PeerLeftEvent>();
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0].id, a.id);
  EXPECT_EQ(left[1].id, b.id);
}

TEST_F(RegistryResumeTest, WithoutAGraceALostPeerTimesOutAtOnce) {
  limits.resume_grace = 0;
  registry->set_limits(limits);
  Member a = add_in("r");
  Member b = add_in("r");
  registry->lost(a.id, a.link.get());
  const auto left = b.link->of_kind<PeerLeftEvent>();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].reason, LeaveReason::timeout);
  EXPECT_FALSE(resume_with(a.token).first);
}

TEST_F(RegistryResumeTest, ALostSocketIoPeerDisconnectsAtOnce) {
  Member a = add(Dialect::socketio);
  registry->join(a.id, "r");
  Member b = add_in("r");
  registry->lost(a.id, a.link.get());
  const auto left = b.link->of_kind<PeerLeftEvent>();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].reason, LeaveReason::disconnect);
  EXPECT_EQ(registry->connected_count(), 1u);
}

// ---- ended at once ---------------------------------------------------------------

TEST_F(RegistryResumeTest, EndAndLeaveFreeTheSeatAtOnceAndSpendTheToken) {
  Member a = add_in("r");
  Member b = add_in("r");
  Member c = add_in("r");
  registry->leave(a.id);
  registry->end(b.id, b.link.get());
  const auto left = c.link->of_kind<PeerLeftEvent>();
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0].reason, LeaveReason::leave);
  EXPECT_EQ(left[1].reason, LeaveReason::disconnect);
  EXPECT_EQ(registry->room("r")->peers, std::vector<std::string>{c.id});
  EXPECT_EQ(registry->next_deadline(), std::nullopt);
  EXPECT_FALSE(resume_with(b.token).first);
}

// ---- takeover of a connection that still looks alive -------------------------------

TEST_F(RegistryResumeTest, ResumeTakesOverALiveLinkWhichCanNoLongerEndThePeer) {
  Member a = add_in("r");
  Member b = add_in("r");
  auto [resumed, fresh] = resume_with(a.token);
  ASSERT_TRUE(resumed);
  EXPECT_EQ(resumed->id, a.id);
  EXPECT_EQ(resumed->room, "r");
  EXPECT_EQ(a.link->superseded_count.load(), 1);

  // The old connection closing afterwards, either way, is not the peer's end.
  registry->end(a.id, a.link.get());
  registry->lost(a.id, a.link.get());
  EXPECT_EQ(a.link->take_unsent_calls, 0);
  EXPECT_TRUE(b.link->of_kind<PeerLeftEvent>().empty());
  EXPECT_EQ(registry->room_of(a.id), "r");
  EXPECT_EQ(registry->next_deadline(), std::nullopt);
  // Until the old link hands its unsent messages over, relays wait behind them.
  relay(b, "live");
  EXPECT_TRUE(fresh.link->relayed().empty());
  registry->hand_over(a.id, {text("queued-on-a-1"), text("queued-on-a-2")});
  EXPECT_EQ(fresh.link->relayed(),
            (std::vector<std::string>{"queued-on-a-1", "queued-on-a-2", "live"}));
  relay(b, "later");
  EXPECT_EQ(fresh.link->relayed().back(), "later");
  EXPECT_TRUE(a.link->relayed().empty());
  registry->hand_over(a.id, {text("stray")});  // a second hand-over changes nothing
  EXPECT_EQ(fresh.link->relayed().size(), 4u);
}

// Taken over twice before the first link handed over, and the newest link lost
// meanwhile: everything waits, in order, for the resume after.
TEST_F(RegistryResumeTest, HandOversArriveBeforeKeptMessagesWhateverHappensMeanwhile) {
  Member a = add_in("r");
  Member b = add_in("r");
  auto [first, link1] = resume_with(a.token);
  ASSERT_TRUE(first);
  relay(b, "m1");
  auto [second, link2] = resume_with(first->resume_token);
  ASSERT_TRUE(second);
  EXPECT_TRUE(second->kept.empty());
  relay(b, "m2");
  registry->hand_over(a.id, {});  // link1 had nothing (its relays were held)
  EXPECT_TRUE(link2.link->relayed().empty());
  registry->lost(a.id, link2.link.get());
  relay(b, "m3");
  registry->hand_over(a.id, {text("m0")});  // the first link's queue, last to arrive
  auto [third, link3] = resume_with(second->resume_token);
  ASSERT_TRUE(third);
  std::vector<std::string> kept;
  for (const auto& t : third->kept) kept.emplace_back(t->text);
  EXPECT_EQ(kept, (std::vector<std::string>{"m0", "m1", "m2", "m3"}));
}

TEST(DirectoryLimitsRule, TheResumeBufferLeavesHalfTheSendQueueFree) {
  // A buffer at its cap plus `resumed` (and live messages as large again) fits
  // in the send queue: 1013 right after a resume needs a client that stops reading.
  for (std::size_t limit : {1024u, 65536u, 1048576u, 16777216u}) {
    EXPECT_LE(resume_buffer_bytes_for(limit) * 2, limit);
    EXPECT_GE(resume_buffer_bytes_for(limit) * 2 + 1, limit);
  }
  EXPECT_EQ(DirectoryLimits{}.resume_buffer_bytes, 524288u);
}

// ---- races, with real threads ------------------------------------------------------

// A Clock that one thread may move while others read it.
class SharedClock final : public Clock {
 public:
  double now() const override { return now_.load(); }
  std::int64_t unix_now() const override { return 1'800'000'000; }
  void set(double t) { now_.store(t); }

 private:
  std::atomic<double> now_{1000.0};
};

TEST(RegistryResumeRace, TwoConnectionsRacingForOneTokenExactlyOneWins) {
  for (int round = 0; round < 200; ++round) {
    SharedClock clock;
    RoomRegistry registry(clock, DirectoryLimits{});
    auto old_link = registry.make_link();
    auto a = registry.connect(old_link);
    registry.join(a.id, "r");
    registry.lost(a.id, old_link.get());

    auto link1 = registry.make_link();
    auto link2 = registry.make_link();
    auto p1 = registry.connect(link1);
    auto p2 = registry.connect(link2);
    std::optional<RoomRegistry::Resumed> r1, r2;
    std::latch start(2);
    std::thread t1([&] {
      start.arrive_and_wait();
      r1 = registry.resume(a.resume_token, p1.id, link1);
    });
    std::thread t2([&] {
      start.arrive_and_wait();
      r2 = registry.resume(a.resume_token, p2.id, link2);
    });
    t1.join();
    t2.join();

    ASSERT_NE(r1.has_value(), r2.has_value()) << "round " << round;
    const auto& winner = r1 ? *r1 : *r2;
    const auto& loser_id = r1 ? p2.id : p1.id;
    EXPECT_EQ(winner.id, a.id);
    EXPECT_EQ(winner.room, "r");
    // The loser goes on as its own fresh peer; the winner's provisional one is gone.
    EXPECT_EQ(registry.connected_count(), 2u);
    EXPECT_EQ(registry.room_of(loser_id), std::nullopt);
    EXPECT_EQ(registry.room("r")->peers, std::vector<std::string>{a.id});
    EXPECT_EQ(old_link->superseded_count.load(), 0);
  }
}

TEST(RegistryResumeRace, ResumeRacingExpiryHasExactlyOneOutcome) {
  int resumed_count = 0;
  int expired_count = 0;
  for (int round = 0; round < 1000; ++round) {
    SharedClock clock;
    DirectoryLimits limits;
    limits.resume_grace = 1;
    RoomRegistry registry(clock, limits);
    auto a_link = registry.make_link();
    auto b_link = registry.make_link();
    auto a = registry.connect(a_link);
    auto b = registry.connect(b_link);
    registry.join(a.id, "r");
    registry.join(b.id, "r");
    registry.lost(a.id, a_link.get());
    registry.relay(b.id, nullptr, relay_of("kept"));

    auto new_link = registry.make_link();
    auto provisional = registry.connect(new_link);
    std::optional<RoomRegistry::Resumed> resumed;
    std::size_t expired = 0;
    std::latch start(2);
    std::thread resumer([&] {
      start.arrive_and_wait();
      resumed = registry.resume(a.resume_token, provisional.id, new_link);
    });
    std::thread sweeper([&] {
      start.arrive_and_wait();
      clock.set(1001.0);  // the deadline
      expired = registry.expire();
    });
    resumer.join();
    sweeper.join();
    expired += registry.expire();  // a sweep after the race changes nothing more

    const auto left = b_link->of_kind<PeerLeftEvent>();
    if (resumed) {
      ++resumed_count;
      EXPECT_EQ(expired, 0u);
      EXPECT_TRUE(left.empty());
      EXPECT_EQ(resumed->room, "r");
      EXPECT_EQ(texts(resumed->kept), std::vector<std::string>{"kept"});
      EXPECT_EQ(registry.room("r")->peers, (std::vector<std::string>{a.id, b.id}));
    } else {
      ++expired_count;
      EXPECT_EQ(expired, 1u);
      ASSERT_EQ(left.size(), 1u);
      EXPECT_EQ(left[0].id, a.id);
      EXPECT_EQ(left[0].reason, LeaveReason::timeout);
      EXPECT_EQ(registry.room("r")->peers, std::vector<std::string>{b.id});
      EXPECT_EQ(registry.room_of(provisional.id), std::nullopt);
    }
    EXPECT_EQ(registry.next_deadline(), std::nullopt);
  }
  // Which side wins is up to the scheduler; both outcomes were checked above.
  RecordProperty("resumed", resumed_count);
  RecordProperty("expired", expired_count);
}

TEST(RegistryResumeRace, MessagesRacingAResumeAreEachDeliveredOnceInOrder) {
  for (int round = 0; round < 200; ++round) {
    SharedClock clock;
    RoomRegistry registry(clock, DirectoryLimits{});
    auto a_link = registry.make_link();
    auto b_link = registry.make_link();
    auto a = registry.connect(a_link);
    auto b = registry.connect(b_link);
    registry.join(a.id, "r");
    registry.join(b.id, "r");
    registry.lost(a.id, a_link.get());

    auto new_link = registry.make_link();
    auto provisional = registry.connect(new_link);
    std::optional<RoomRegistry::Resumed> resumed;
    constexpr int kMessages = 50;
    std::latch start(2);
    std::thread sender([&] {
      start.arrive_and_wait();
      for (int i = 0; i < kMessages; ++i) registry.relay(b.id, &a.id, relay_of(std::to_string(i)));
    });
    std::thread resumer([&] {
      start.arrive_and_wait();
      resumed = registry.resume(a.resume_token, provisional.id, new_link);
    });
    sender.join();
    resumer.join();

    ASSERT_TRUE(resumed);
    registry.settle();
    // What the session writes: the kept messages, then what the new link got.
    std::vector<std::string> seen = texts(resumed->kept);
    for (auto& live : new_link->relayed()) seen.push_back(live);
    ASSERT_EQ(seen.size(), static_cast<std::size_t>(kMessages)) << "round " << round;
    for (int i = 0; i < kMessages; ++i) EXPECT_EQ(seen[i], std::to_string(i));
  }
}

}  // namespace
}  // namespace parley
