// The in-process directory's RoomLifecycle calls (what webhooks are made of): each room and
// seat change once, in order, with the seat's metadata; nothing for a lost
// connection in its grace or a resume; `timeout` when the grace runs out.
#include <gtest/gtest.h>

#include "sync_directory.hpp"

namespace parley {
namespace {

using nlohmann::json;

// Records every call as "what room peer reason meta".
class RecordingLifecycle final : public RoomLifecycle {
 public:
  void room_started(const std::string& room, std::uint64_t) override {
    calls.push_back("started " + room);
  }
  void room_finished(const std::string& room, std::uint64_t) override {
    calls.push_back("finished " + room);
  }
  void peer_joined(const std::string& room, const std::string& peer, const json& meta,
                   std::uint64_t) override {
    calls.push_back("joined " + room + " " + peer + " " + meta.dump());
  }
  void peer_left(const std::string& room, const std::string& peer, const json& meta,
                 LeaveReason reason, std::uint64_t) override {
    calls.push_back("left " + room + " " + peer + " " + std::string(to_string(reason)) + " " +
                    meta.dump());
  }
  void peer_updated(const std::string& room, const std::string& peer, const json& meta,
                    std::uint64_t) override {
    calls.push_back("updated " + room + " " + peer + " " + meta.dump());
  }
  std::vector<std::string> take() { return std::exchange(calls, {}); }
  std::vector<std::string> calls;
};

using testing::Dialect;
using testing::FakeLink;
using testing::SyncDirectory;

class RegistryLifecycleTest : public ::testing::Test {
 protected:
  RegistryLifecycleTest() {
    limits.max_peers_per_room = 3;
    registry.set_limits(limits);
  }
  std::pair<std::string, std::shared_ptr<FakeLink>> add(Dialect dialect = Dialect::native) {
    auto link = registry.make_link(dialect);
    return {registry.connect(link).id, link};
  }
  JoinOptions with_meta(json meta) {
    JoinOptions options;
    options.meta = std::move(meta);
    return options;
  }

  ManualClock clock;
  DirectoryLimits limits;
  RecordingLifecycle lifecycle;
  SyncDirectory registry{clock, limits, &lifecycle};
};

using Calls = std::vector<std::string>;

TEST_F(RegistryLifecycleTest, JoinUpdateLeaveAndEnd) {
  auto [a, la] = add();
  auto [b, lb] = add();
  registry.join(a, "r", with_meta({{"n", 1}}));
  registry.join(b, "r");
  registry.update_meta(b, {{"n", 2}});
  registry.leave(b);
  registry.end(a, la.get());
  EXPECT_EQ(lifecycle.take(),
            (Calls{"started r", "joined r " + a + " {\"n\":1}", "joined r " + b + " {}",
                   "updated r " + b + " {\"n\":2}", "left r " + b + " leave {\"n\":2}",
                   "left r " + a + " disconnect {\"n\":1}", "finished r"}));
}

TEST_F(RegistryLifecycleTest, RefusedJoinsAndUpdatesTellNothing) {
  limits.max_peers_per_room = 1;
  registry.set_limits(limits);
  auto [a, la] = add();
  auto [b, lb] = add();
  registry.join(a, "r");
  lifecycle.take();
  EXPECT_EQ(registry.join(b, "r").status, SyncDirectory::JoinStatus::full);
  EXPECT_EQ(registry.join(a, "other").status, SyncDirectory::JoinStatus::already_in_room);
  EXPECT_EQ(registry.update_meta(b, json::object()).status, SyncDirectory::MetaStatus::not_in_room);
  EXPECT_FALSE(registry.leave(b));
  EXPECT_TRUE(lifecycle.take().empty());
}

TEST_F(RegistryLifecycleTest, KicksAreKicked) {
  auto [a, la] = add();
  auto [b, lb] = add();
  auto [c, lc] = add();
  for (const auto& id : {a, b, c}) registry.join(id, "k");
  lifecycle.take();
  registry.kick_peer(c);
  registry.kick_room("k");
  EXPECT_EQ(lifecycle.take(), (Calls{"left k " + c + " kicked {}", "left k " + a + " kicked {}",
                                     "left k " + b + " kicked {}", "finished k"}));
}

TEST_F(RegistryLifecycleTest, ALostPeerResumedInTimeTellsNothing) {
  limits.resume_grace = 10;
  registry.set_limits(limits);
  auto [a, la] = add();
  registry.join(a, "r");
  auto b_link = registry.make_link();
  const auto b_conn = registry.connect(b_link);
  registry.join(b_conn.id, "r");
  lifecycle.take();
  registry.lost(b_conn.id, b_link.get());
  clock.advance(5);
  EXPECT_EQ(registry.expire(), 0u);
  auto [fresh, fresh_link] = add();
  ASSERT_TRUE(registry.resume(b_conn.resume_token, fresh, registry.make_link()));
  clock.advance(20);
  EXPECT_EQ(registry.expire(), 0u);
  EXPECT_TRUE(lifecycle.take().empty());
}

TEST_F(RegistryLifecycleTest, ALostPeerNotResumedTimesOut) {
  limits.resume_grace = 10;
  registry.set_limits(limits);
  auto [a, la] = add();
  registry.join(a, "r", with_meta({{"n", 1}}));
  lifecycle.take();
  registry.lost(a, la.get());
  EXPECT_TRUE(lifecycle.take().empty());
  clock.advance(10);
  EXPECT_EQ(registry.expire(), 1u);
  EXPECT_EQ(lifecycle.take(), (Calls{"left r " + a + " timeout {\"n\":1}", "finished r"}));
}

TEST_F(RegistryLifecycleTest, ALostSocketioPeerDisconnectsAtOnce) {
  limits.resume_grace = 10;
  registry.set_limits(limits);
  auto [a, la] = add(Dialect::socketio);
  registry.join(a, "r");
  lifecycle.take();
  registry.lost(a, la.get());
  EXPECT_EQ(lifecycle.take(), (Calls{"left r " + a + " disconnect {}", "finished r"}));
}

}  // namespace
}  // namespace parley
