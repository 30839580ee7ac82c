// What the in-process directory's shards must keep true (the contract suite
// covers the rest): rooms spread over shards and counted once, a peer that
// moves to the shard of each room it joins, an exact room limit, and
// operations from many threads at once, on distinct rooms and on the same
// room, that leave the directory consistent (these run under ASan in CI and
// under TSan locally).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "sync_directory.hpp"

namespace parley {
namespace {

using testing::FakeLink;
using testing::SyncDirectory;
using JoinStatus = RoomDirectory::JoinStatus;
using RelayStatus = RoomDirectory::RelayStatus;

constexpr std::size_t kFewShards = 4;  // so that rooms and peers share shards, and move

DirectoryLimits limits_of(std::size_t max_rooms = 100000, std::size_t max_peers = 2) {
  DirectoryLimits limits;
  limits.max_rooms = max_rooms;
  limits.max_peers_per_room = max_peers;
  limits.resume_grace = 10;
  return limits;
}

struct Peer {
  std::string id;
  std::string token;
  std::shared_ptr<FakeLink> link;
};

Peer connect(SyncDirectory& d) {
  auto link = d.make_link();
  auto c = d.connect(link);
  return {c.id, c.resume_token, link};
}

TEST(DirectoryShards, ManyRoomsOverFewShardsAreEachCountedAndListedOnce) {
  ManualClock clock;
  SyncDirectory d(clock, limits_of(), nullptr, kFewShards);
  std::vector<std::pair<Peer, Peer>> pairs;
  for (int i = 0; i < 100; ++i) {
    const std::string room = "room-" + std::to_string(i);
    Peer a = connect(d), b = connect(d);
    ASSERT_EQ(d.join(a.id, room).status, JoinStatus::joined);
    ASSERT_EQ(d.join(b.id, room).status, JoinStatus::joined);
    pairs.emplace_back(a, b);
  }
  EXPECT_EQ(d.room_count(), 100u);
  EXPECT_EQ(d.peer_count(), 200u);
  EXPECT_EQ(d.connected_count(), 200u);
  auto rooms = d.rooms();
  ASSERT_EQ(rooms.size(), 100u);
  std::set<std::string> names;
  for (const auto& room : rooms) {
    EXPECT_EQ(room.peers.size(), 2u);
    names.insert(room.name);
  }
  EXPECT_EQ(names.size(), 100u);
  EXPECT_TRUE(std::is_sorted(rooms.begin(), rooms.end(),
                             [](const auto& x, const auto& y) { return x.name < y.name; }));

  // A relay reaches the sender's partner and nobody else.
  for (auto& [a, b] : pairs)
    ASSERT_EQ(d.relay(a.id, nullptr, testing::draft_of(a.id)), RelayStatus::ok);
  for (auto& [a, b] : pairs) {
    EXPECT_EQ(b.link->relayed(), std::vector<std::string>{a.id});
    EXPECT_TRUE(a.link->relayed().empty());
  }
  for (auto& [a, b] : pairs) {
    d.end(a.id, a.link.get());
    d.end(b.id, b.link.get());
  }
  EXPECT_EQ(d.room_count(), 0u);
  EXPECT_EQ(d.peer_count(), 0u);
  EXPECT_EQ(d.connected_count(), 0u);
}

TEST(DirectoryShards, APeerFollowsEachRoomItJoinsAndStaysResumable) {
  ManualClock clock;
  SyncDirectory d(clock, limits_of(), nullptr, kFewShards);
  Peer mover = connect(d);
  // One partner in each of many rooms: the rooms fall in every shard.
  std::vector<Peer> partners;
  for (int i = 0; i < 12; ++i) {
    const std::string room = "r" + std::to_string(i);
    partners.push_back(connect(d));
    ASSERT_EQ(d.join(partners.back().id, room).status, JoinStatus::joined);
    ASSERT_EQ(d.join(mover.id, room).status, JoinStatus::joined);
    EXPECT_EQ(d.room_of(mover.id), room);
    ASSERT_EQ(d.relay(mover.id, &partners.back().id, testing::draft_of(room)), RelayStatus::ok);
    EXPECT_EQ(partners.back().link->relayed(), std::vector<std::string>{room});
    ASSERT_EQ(d.leave(mover.id), room);
  }
  ASSERT_EQ(d.join(mover.id, "r3").status, JoinStatus::joined);

  // Lost, then resumed from a new connection, wherever it is owned now.
  d.lost(mover.id, mover.link.get());
  ASSERT_EQ(d.relay(partners[3].id, nullptr, testing::draft_of("while away")), RelayStatus::ok);
  auto fresh = d.make_link();
  auto provisional = d.connect(fresh);
  auto resumed = d.resume(mover.token, provisional.id, fresh);
  ASSERT_TRUE(resumed);
  EXPECT_EQ(resumed->room, "r3");
  EXPECT_EQ(resumed->peers, std::vector<std::string>{partners[3].id});
  EXPECT_EQ(testing::texts(resumed->kept), std::vector<std::string>{"while away"});
  EXPECT_EQ(d.connected_count(), 13u);  // the provisional peer is gone

  // The old token no longer resumes; the new one does, once.
  auto another = d.make_link();
  EXPECT_FALSE(d.resume(mover.token, d.connect(another).id, another));
  d.lost(mover.id, fresh.get());
  clock.advance(11);
  EXPECT_EQ(d.expire(), 1u);
  EXPECT_FALSE(d.room_of(mover.id));
  // It left r3 once of its own, then by the grace running out.
  auto left = partners[3].link->of_kind<PeerLeftEvent>();
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left.back().reason, LeaveReason::timeout);
}

TEST(DirectoryShards, TheRoomLimitHoldsExactlyAcrossShardsAndThreads) {
  ManualClock clock;
  SyncDirectory d(clock, limits_of(10), nullptr, kFewShards);
  constexpr int kThreads = 4, kEach = 10;
  std::vector<std::vector<Peer>> peers(kThreads);
  for (auto& mine : peers)
    for (int i = 0; i < kEach; ++i) mine.push_back(connect(d));
  std::atomic<int> joined{0}, refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto status =
            d.join(peers[t][i].id, "t" + std::to_string(t) + "-" + std::to_string(i)).status;
        if (status == JoinStatus::joined) {
          joined.fetch_add(1);
        } else {
          refused.fetch_add(1);
          EXPECT_EQ(status, JoinStatus::room_limit);
        }
      }
    });
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(joined.load(), 10);
  EXPECT_EQ(refused.load(), kThreads * kEach - 10);
  EXPECT_EQ(d.room_count(), 10u);
  EXPECT_EQ(d.rooms().size(), 10u);
}

// Each thread joins a pair into a room of its own, relays both ways and
// leaves, many times over: every relay arrives once, and nothing is left.
TEST(DirectoryShards, ThreadsOnDistinctRoomsLeaveNothingBehind) {
  ManualClock clock;
  SyncDirectory d(clock, limits_of(), nullptr, kFewShards);
  constexpr int kThreads = 4, kRounds = 200;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  // The links outlive the threads: another thread's settle() may run a drain
  // of any of them.
  std::vector<std::pair<Peer, Peer>> pairs;
  for (int t = 0; t < kThreads; ++t) pairs.emplace_back(connect(d), connect(d));
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      auto& [a, b] = pairs[static_cast<std::size_t>(t)];
      for (int round = 0; round < kRounds; ++round) {
        const std::string room = "t" + std::to_string(t) + "-" + std::to_string(round);
        bool ok = d.join(a.id, room).status == JoinStatus::joined &&
                  d.join(b.id, room).status == JoinStatus::joined &&
                  d.relay(a.id, nullptr, testing::draft_of("a")) == RelayStatus::ok &&
                  d.relay(b.id, &a.id, testing::draft_of("b")) == RelayStatus::ok &&
                  d.leave(a.id) == room && d.leave(b.id) == room;
        if (!ok) failures.fetch_add(1);
      }
      d.settle();
      if (b.link->relayed().size() != kRounds || a.link->relayed().size() != kRounds)
        failures.fetch_add(1);
      d.end(a.id, a.link.get());
      d.end(b.id, b.link.get());
    });
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(d.room_count(), 0u);
  EXPECT_EQ(d.peer_count(), 0u);
  EXPECT_EQ(d.connected_count(), 0u);
}

// Threads contend for the seats of one room: it never holds more than its
// capacity, everyone who got a seat is listed, and it ends empty.
TEST(DirectoryShards, ThreadsOnTheSameRoomNeverOverfillIt) {
  ManualClock clock;
  SyncDirectory d(clock, limits_of(100000, 3), nullptr, kFewShards);
  constexpr int kThreads = 4, kRounds = 300;
  std::atomic<int> seated{0}, max_seen{0}, failures{0};
  std::vector<std::thread> threads;
  // The links outlive the threads: another thread's settle() may run a drain
  // of any of them.
  std::vector<Peer> peers;
  for (int t = 0; t < kThreads; ++t) peers.push_back(connect(d));
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      Peer& p = peers[static_cast<std::size_t>(t)];
      for (int round = 0; round < kRounds; ++round) {
        auto status = d.join(p.id, "lobby").status;
        if (status == JoinStatus::full) continue;
        if (status != JoinStatus::joined) failures.fetch_add(1);
        const int now = seated.fetch_add(1) + 1;
        int seen = max_seen.load();
        while (now > seen && !max_seen.compare_exchange_weak(seen, now)) {
        }
        if (d.relay(p.id, nullptr, testing::draft_of("hi")) != RelayStatus::ok)
          failures.fetch_add(1);
        seated.fetch_sub(1);
        if (d.leave(p.id) != "lobby") failures.fetch_add(1);
      }
      d.end(p.id, p.link.get());
    });
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  // `seated` counts a seat between its join's answer and its leave, so it
  // never exceeds the seats the room had.
  EXPECT_LE(max_seen.load(), 3);
  EXPECT_GE(max_seen.load(), 1);
  EXPECT_EQ(d.room_count(), 0u);
  EXPECT_EQ(d.peer_count(), 0u);
}

// A watch racing the loss of its connection: the watch is either ended with
// the connection or undone, never left behind. The two calls start together
// (a barrier) round after round, so that some rounds interleave them.
TEST(DirectoryShards, AWatchRacingItsConnectionsLossIsNotLeftBehind) {
  ManualClock clock;
  SyncDirectory d(clock, limits_of(), nullptr, kFewShards);
  constexpr int kRounds = 1000;
  std::barrier sync(3);
  Peer p;
  std::string room;
  std::thread watcher([&] {
    for (int i = 0; i < kRounds; ++i) {
      sync.arrive_and_wait();
      d.watch(p.id, room);
      sync.arrive_and_wait();
    }
  });
  std::thread loser([&] {
    for (int i = 0; i < kRounds; ++i) {
      sync.arrive_and_wait();
      d.lost(p.id, p.link.get());
      sync.arrive_and_wait();
    }
  });
  for (int i = 0; i < kRounds; ++i) {
    p = connect(d);
    room = "w" + std::to_string(i % 7);
    sync.arrive_and_wait();  // both calls go
    sync.arrive_and_wait();  // both calls returned
    // Expiry ends the away peer and whatever watches it still has.
    clock.advance(11);
    d.expire();
    ASSERT_EQ(d.watch_count(), 0u) << "round " << i;
  }
  watcher.join();
  loser.join();
  EXPECT_EQ(d.connected_count(), 0u);
}

// Two resumes with the same token, and the expiry of the peer they resume:
// at most one resume wins, and the peer is then alive with one token.
TEST(DirectoryShards, ResumesAndExpiryOfOnePeerRaceToOneOutcome) {
  ManualClock clock;
  SyncDirectory d(clock, limits_of(), nullptr, kFewShards);
  for (int i = 0; i < 100; ++i) {
    Peer p = connect(d), partner = connect(d);
    ASSERT_EQ(d.join(p.id, "race").status, JoinStatus::joined);
    ASSERT_EQ(d.join(partner.id, "race").status, JoinStatus::joined);
    d.lost(p.id, p.link.get());
    auto l1 = d.make_link(), l2 = d.make_link();
    auto c1 = d.connect(l1), c2 = d.connect(l2);
    std::atomic<int> wins{0};
    std::thread r1([&] { wins += d.resume(p.token, c1.id, l1).has_value(); });
    std::thread r2([&] { wins += d.resume(p.token, c2.id, l2).has_value(); });
    std::thread expiry([&] { d.expire(); });  // not due: must end nobody
    r1.join();
    r2.join();
    expiry.join();
    EXPECT_EQ(wins.load(), 1);
    EXPECT_EQ(d.room_of(p.id), "race");
    // The loser's provisional peer stays; the winner's is gone.
    EXPECT_EQ(d.connected_count(), 3u);
    EXPECT_EQ(d.peer_count(), 2u);
    d.clear();
  }
}

TEST(DirectoryShards, OneShardIsTheSingleLockDirectory) {
  ManualClock clock;
  InProcessDirectory d(clock, limits_of(), nullptr, 1);
  EXPECT_EQ(d.shard_count(), 1u);
  const auto before = d.lock_stats();
  (void)d.counts();
  const auto after = d.lock_stats();
  // counts() took the one lock once; stats() itself takes it too.
  EXPECT_EQ(after.acquired - before.acquired, 2u);
  EXPECT_LE(after.waited, after.acquired);
}

}  // namespace
}  // namespace parley
