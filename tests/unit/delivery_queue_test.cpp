// The delivery bookkeeping, with time passed in: the retry schedule of the
// contract, per-room order, independence of rooms and URLs, and URL removal.
#include "webhooks/delivery_queue.hpp"

#include <gtest/gtest.h>

namespace parley {
namespace {

using Result = DeliveryQueue::Result;

DeliveryQueue queue_for(std::vector<std::string> urls, RetryPolicy policy = {},
                        std::size_t max_in_flight = 64) {
  DeliveryQueue queue(policy, max_in_flight);
  queue.set_urls(urls);
  return queue;
}

std::vector<std::string> ids_of(const std::vector<DeliveryQueue::Attempt>& attempts) {
  std::vector<std::string> ids;
  for (const auto& attempt : attempts) ids.push_back(attempt.event->id);
  return ids;
}

TEST(DeliveryQueue, DeliversARoomsEventsOneAtATimeInOrder) {
  auto queue = queue_for({"http://a/"});
  queue.push("e1", "r", "{1}");
  queue.push("e2", "r", "{2}");
  EXPECT_EQ(queue.size(), 2u);
  auto first = queue.start_due(0);
  ASSERT_EQ(ids_of(first), std::vector<std::string>{"e1"});
  EXPECT_EQ(first[0].url, "http://a/");
  EXPECT_EQ(first[0].event->body, "{1}");
  EXPECT_TRUE(queue.start_due(0).empty());  // e2 waits for e1
  EXPECT_EQ(queue.finish(first[0].lane, true, 0), Result::delivered);
  EXPECT_EQ(queue.size(), 1u);
  auto second = queue.start_due(0);
  ASSERT_EQ(ids_of(second), std::vector<std::string>{"e2"});
  EXPECT_EQ(queue.finish(second[0].lane, true, 0), Result::delivered);
  EXPECT_EQ(queue.size(), 0u);
  EXPECT_EQ(queue.lanes(), 0u);
  EXPECT_FALSE(queue.next_due());
}

TEST(DeliveryQueue, RetriesFollowTheContractsScheduleThenDrop) {
  auto queue = queue_for({"http://a/"});
  queue.push("e1", "r", "{}");
  double now = 100;
  auto attempt = queue.start_due(now);
  ASSERT_EQ(attempt.size(), 1u);
  std::vector<double> delays;
  double previous_start = now;
  Result result = Result::retrying;
  while (result == Result::retrying) {
    now += 5;  // each attempt takes the whole 5 s timeout
    result = queue.finish(attempt[0].lane, false, now);
    if (result != Result::retrying) break;
    const auto due = queue.next_due();
    ASSERT_TRUE(due);
    delays.push_back(*due - now);
    EXPECT_TRUE(queue.start_due(*due - 0.001).empty()) << "started before its time";
    now = *due;
    attempt = queue.start_due(now);
    ASSERT_EQ(attempt.size(), 1u);
    EXPECT_EQ(attempt[0].event->id, "e1");
    previous_start = now;
  }
  EXPECT_EQ(result, Result::dropped);
  ASSERT_GE(delays.size(), 2u);
  EXPECT_LE(delays[0], 2.0);  // the first retry within 2 s
  for (std::size_t i = 1; i < delays.size(); ++i) {
    EXPECT_LE(delays[i], 2 * delays[i - 1]);
    EXPECT_LE(delays[i], 60.0);
  }
  EXPECT_GE(now - 100, 300.0);  // retried for at least 5 minutes
  EXPECT_GE(previous_start - 100, 240.0);
  EXPECT_EQ(queue.size(), 0u);
}

TEST(DeliveryQueue, AFailingRoomHoldsBackOnlyItself) {
  auto queue = queue_for({"http://a/"});
  queue.push("a1", "ra", "{}");
  queue.push("a2", "ra", "{}");
  queue.push("b1", "rb", "{}");
  queue.push("b2", "rb", "{}");
  auto started = queue.start_due(0);
  ASSERT_EQ(ids_of(started), (std::vector<std::string>{"a1", "b1"}));
  EXPECT_EQ(queue.finish(started[0].lane, false, 1), Result::retrying);  // a1 fails
  EXPECT_EQ(queue.finish(started[1].lane, true, 1), Result::delivered);  // b1 ok
  EXPECT_EQ(ids_of(queue.start_due(1)), std::vector<std::string>{"b2"});
  // a1 comes again, not a2.
  const auto due = queue.next_due();
  ASSERT_TRUE(due);
  EXPECT_EQ(ids_of(queue.start_due(*due)), std::vector<std::string>{"a1"});
}

TEST(DeliveryQueue, EveryUrlGetsEveryEventIndependently) {
  auto queue = queue_for({"http://a/", "http://b/"});
  queue.push("e1", "r", "{}");
  queue.push("e2", "r", "{}");
  auto started = queue.start_due(0);
  ASSERT_EQ(started.size(), 2u);
  EXPECT_EQ(started[0].url, "http://a/");
  EXPECT_EQ(started[1].url, "http://b/");
  EXPECT_EQ(queue.finish(started[0].lane, true, 0), Result::delivered);  // a has e1
  EXPECT_EQ(queue.finish(started[1].lane, false, 0), Result::retrying);  // b failed e1
  EXPECT_EQ(queue.size(), 2u);                                           // e1 still unfinished at b
  const auto next = queue.start_due(0);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].url, "http://a/");
  EXPECT_EQ(next[0].event->id, "e2");  // a goes on while b waits
}

TEST(DeliveryQueue, RemovedUrlsDropTheirQueuedDeliveries) {
  auto queue = queue_for({"http://a/", "http://b/"});
  queue.push("e1", "r", "{}");
  queue.push("e2", "r", "{}");
  auto started = queue.start_due(0);
  ASSERT_EQ(started.size(), 2u);
  EXPECT_EQ(queue.set_urls({"http://a/", "http://c/"}), 2u);  // b's e1 and e2
  EXPECT_EQ(queue.finish(started[1].lane, true, 0), Result::stale);
  EXPECT_EQ(queue.finish(started[0].lane, true, 0), Result::delivered);
  queue.push("e3", "r", "{}");  // goes to a and c
  auto next = queue.start_due(0);
  ASSERT_EQ(next.size(), 2u);
  EXPECT_EQ(next[0].event->id, "e2");
  EXPECT_EQ(next[0].url, "http://a/");
  EXPECT_EQ(next[1].event->id, "e3");
  EXPECT_EQ(next[1].url, "http://c/");
}

TEST(DeliveryQueue, WithoutUrlsNothingIsQueued) {
  auto queue = queue_for({});
  queue.push("e1", "r", "{}");
  EXPECT_EQ(queue.size(), 0u);
  EXPECT_TRUE(queue.start_due(0).empty());
}

TEST(DeliveryQueue, RunsAtMostMaxInFlightAttempts) {
  auto queue = queue_for({"http://a/"}, {}, 2);
  for (const char* room : {"r1", "r2", "r3"}) queue.push(std::string("e-") + room, room, "{}");
  auto started = queue.start_due(0);
  ASSERT_EQ(started.size(), 2u);
  EXPECT_TRUE(queue.start_due(0).empty());
  EXPECT_EQ(queue.finish(started[0].lane, true, 0), Result::delivered);
  EXPECT_EQ(ids_of(queue.start_due(0)), std::vector<std::string>{"e-r3"});
}

}  // namespace
}  // namespace parley
