// Pieces of the cluster layer that need no Redis: the reconnection backoff and
// the decoding of a node's channel events.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cluster/backoff.hpp"
#include "cluster/node_event.hpp"

namespace parley {
namespace {

using ::testing::ElementsAre;

TEST(Backoff, DoublesUpToTheCapWithJitterInTheUpperHalf) {
  Backoff backoff(0.1, 1.0, 42);
  const double ceilings[] = {0.1, 0.2, 0.4, 0.8, 1.0, 1.0, 1.0};
  for (double ceiling : ceilings) {
    const double delay = backoff.next();
    EXPECT_GE(delay, ceiling / 2);
    EXPECT_LE(delay, ceiling);
  }
  backoff.reset();
  EXPECT_LE(backoff.next(), 0.1);
}

TEST(Backoff, NodesWithDifferentSeedsSpreadOut) {
  Backoff one(1, 1, 1), two(1, 1, 2);
  EXPECT_NE(one.next(), two.next());
}

TEST(NodeEvent, DecodesARelay) {
  const auto event = parse_node_event(
      R"({"t":"relay","room":"r","from":"a","type":"offer","to":["b","c"],"text":"{\"x\":1}"})");
  ASSERT_TRUE(event);
  EXPECT_EQ(event->kind, NodeEvent::Kind::relay);
  EXPECT_EQ(event->room, "r");
  EXPECT_EQ(event->from, "a");
  EXPECT_EQ(event->type, "offer");
  EXPECT_EQ(event->text, R"({"x":1})");
  EXPECT_THAT(event->to, ElementsAre("b", "c"));
}

TEST(NodeEvent, DecodesPresence) {
  const auto joined =
      parse_node_event(R"({"t":"joined","room":"r","id":"p","seq":17,"node":"n","to":["q"]})");
  ASSERT_TRUE(joined);
  EXPECT_EQ(joined->kind, NodeEvent::Kind::joined);
  EXPECT_EQ(joined->seq, 17);
  EXPECT_EQ(joined->node, "n");
  const auto left = parse_node_event(R"({"t":"left","room":"r","id":"p","reason":"timeout"})");
  ASSERT_TRUE(left);
  EXPECT_EQ(left->reason, "timeout");
  EXPECT_TRUE(left->to.empty());
  // A node that only watches the room gets presence with an empty `to` ({} from Lua).
  const auto updated =
      parse_node_event(R"({"t":"updated","room":"r","id":"p","meta":"{\"n\":1}","to":{}})");
  ASSERT_TRUE(updated);
  EXPECT_EQ(updated->kind, NodeEvent::Kind::updated);
  EXPECT_EQ(updated->meta, R"({"n":1})");
  EXPECT_TRUE(updated->to.empty());
}

TEST(NodeEvent, IgnoresWhatItDoesNotKnow) {
  EXPECT_FALSE(parse_node_event("not json"));
  EXPECT_FALSE(parse_node_event("[1,2]"));
  EXPECT_FALSE(parse_node_event(R"({"t":"from-a-newer-node"})"));
  EXPECT_FALSE(parse_node_event(R"({"t":5})"));
  EXPECT_TRUE(parse_node_event(R"({"t":"seal","id":"p","extra":{"x":[]}})"));
}

}  // namespace
}  // namespace parley
