// Webhooks from a cluster (integration-v1.md "Webhooks": "In a cluster, each
// event is emitted once, by the node that made the change"): three parleyd on
// one redis-server, all configured with the same receiver. A room whose peers
// are on three nodes yields each event exactly once, numbered 1, 2, 3... in
// the order the changes were made whichever node made them; each node sends
// the events of its own changes; a peer of a killed node times out once, told
// by a surviving node; a peer drained with 1012 (SIGTERM of its node) that
// resumes on another node within the grace makes no event, and one that does
// not resume makes one `peer-left` `timeout`. Real daemons and a real HTTP receiver on 127.0.0.1;
// every wait is for an event, bounded.
#include <signal.h>

#include <algorithm>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "cluster_nodes.hpp"
#include "webhook_receiver.hpp"

namespace parley::test {
namespace {

constexpr char kSecret[] = "cluster-webhook-secret";
const std::string kOk = R"(parley_webhook_deliveries_total{result="ok"})";

Env webhook_env(const WebhookReceiver& receiver) {
  return {{"PARLEY_WEBHOOKS_URLS", json::array({receiver.url()}).dump()},
          {"PARLEY_WEBHOOKS_SECRET", kSecret},
          {"PARLEY_LIMITS_MAX_PEERS_PER_ROOM", "3"},
          {"PARLEY_RESUME_GRACE", "1"}};
}

// The delivered events of `room`, ordered by seq.
std::vector<json> events_of(const WebhookReceiver& receiver, const std::string& room) {
  std::vector<json> events;
  for (const auto& hook : receiver.delivered())
    if (hook.json.is_object() && hook.json["room"] == room) events.push_back(hook.json);
  std::sort(events.begin(), events.end(),
            [](const json& x, const json& y) { return x["seq"] < y["seq"]; });
  return events;
}

TEST(ClusterWebhooks, EachEventOnceNumberedInOrderByTheNodeThatMadeTheChange) {
  WebhookReceiver receiver;
  RedisServer redis;
  auto nodes = start_nodes(redis, 3, webhook_env(receiver));
  auto a = connect_peer(nodes[0]->port());
  auto b = connect_peer(nodes[1]->port());
  auto c = connect_peer(nodes[2]->port());
  a->join("hooked");
  b->send({{"type", "join"}, {"room", "hooked"}, {"meta", {{"name", "Bea"}}}});
  EXPECT_EQ(b->recv_type("joined")["type"], "joined");
  a->recv_type("peer-joined");
  c->join("hooked");
  a->recv_type("peer-joined");
  b->send({{"type", "update-meta"}, {"meta", {{"name", "Beatrix"}}}});
  EXPECT_EQ(b->recv_type("meta-updated")["type"], "meta-updated");
  ASSERT_TRUE(receiver.await_delivered(5));
  // Each node sent what it did: node 0 the room and a, node 1 b's two, node 2 c.
  EXPECT_TRUE(TestServer::eventually([&] {
    return metric_value(nodes[0]->admin_port(), kOk) == 2 &&
           metric_value(nodes[1]->admin_port(), kOk) == 2 &&
           metric_value(nodes[2]->admin_port(), kOk) == 1;
  })) << metric_value(nodes[0]->admin_port(), kOk)
      << " " << metric_value(nodes[1]->admin_port(), kOk) << " "
      << metric_value(nodes[2]->admin_port(), kOk);

  // Node 2 dies with c: a surviving node's sweep ends c (`timeout`), once.
  const std::string c_id = c->id();
  nodes[2]->process().signal(SIGKILL);
  EXPECT_EQ(nodes[2]->process().wait_exit(), 128 + SIGKILL);
  EXPECT_EQ(a->recv_type("peer-left", 30s)["id"], c_id);
  a->send({{"type", "leave"}});
  EXPECT_EQ(a->recv_type("left")["reason"], "leave");
  EXPECT_EQ(b->recv_type("peer-left")["id"], c_id);
  EXPECT_EQ(b->recv_type("peer-left")["id"], a->id());
  b->close();
  ASSERT_TRUE(receiver.await_delivered(9));

  const auto events = events_of(receiver, "hooked");
  ASSERT_EQ(events.size(), 9u) << testing::PrintToString(events);
  const std::vector<std::pair<std::string, std::string>> expected{
      {"room-started", ""},   {"peer-joined", a->id()},  {"peer-joined", b->id()},
      {"peer-joined", c_id},  {"peer-updated", b->id()}, {"peer-left", c_id},
      {"peer-left", a->id()}, {"peer-left", b->id()},    {"room-finished", ""}};
  std::set<std::string> ids;
  for (std::size_t i = 0; i < events.size(); ++i) {
    SCOPED_TRACE(events[i].dump());
    EXPECT_EQ(events[i]["seq"], i + 1);
    EXPECT_EQ(events[i]["event"], expected[i].first);
    if (!expected[i].second.empty()) {
      EXPECT_EQ(events[i]["peer"], expected[i].second);
    }
    ids.insert(events[i]["id"].get<std::string>());
  }
  EXPECT_EQ(ids.size(), 9u) << "unique ids";
  EXPECT_EQ(events[2]["meta"], json({{"name", "Bea"}}));
  EXPECT_EQ(events[4]["meta"], json({{"name", "Beatrix"}}));
  EXPECT_EQ(events[5]["reason"], "timeout");
  EXPECT_EQ(events[6]["reason"], "leave");
  EXPECT_EQ(events[7]["reason"], "disconnect");
  EXPECT_EQ(events[7]["meta"], json({{"name", "Beatrix"}})) << "what the seat had";
  for (const auto& hook : receiver.delivered())
    EXPECT_EQ(signature_problem(hook.signature, hook.body, kSecret), "");
  // Nothing else came: every request was one of these, delivered once.
  EXPECT_EQ(receiver.requests().size(), 9u);
}

// integration-v1.md: nothing for a 1012 drain that is resumed; `timeout` once for
// one that is not. Node 0 is stopped with SIGTERM under two peers of a room: `mover`
// resumes on node 1, `stayer` never comes back and times out there.
TEST(ClusterWebhooks, ADrainResumedElsewhereIsSilentAndOneNotResumedTimesOutOnce) {
  WebhookReceiver receiver;
  RedisServer redis;
  Env env = webhook_env(receiver);
  // Long enough for `mover`'s resume to be sure to land within it.
  std::erase_if(env, [](const auto& setting) { return setting.first == "PARLEY_RESUME_GRACE"; });
  env.emplace_back("PARLEY_RESUME_GRACE", "5");
  auto nodes = start_nodes(redis, 2, env);
  auto mover = connect_peer(nodes[0]->port());
  auto stayer = connect_peer(nodes[0]->port());
  auto watcher = connect_peer(nodes[1]->port());
  mover->join("drained");
  stayer->join("drained");
  watcher->join("drained");
  ASSERT_TRUE(receiver.await_delivered(4));  // room-started and three peer-joined

  nodes[0]->process().signal(SIGTERM);
  EXPECT_EQ(mover->expect_close(10s), 1012u);
  EXPECT_EQ(stayer->expect_close(10s), 1012u);
  auto again = connect_peer(nodes[1]->port());
  again->send({{"type", "resume"}, {"token", mover->resume_token()}});
  const json resumed = again->recv(10s);
  ASSERT_EQ(resumed["type"], "resumed") << resumed;
  EXPECT_EQ(resumed["id"], mover->id());
  EXPECT_EQ(nodes[0]->process().wait_exit(5s), 0) << nodes[0]->process().log();

  // The room-mates hear of `stayer` only, once its grace is over, and never of `mover`.
  const json left = watcher->recv(30s);
  EXPECT_EQ(left["type"], "peer-left") << left;
  EXPECT_EQ(left["id"], stayer->id());
  EXPECT_EQ(left["reason"], "timeout");
  EXPECT_EQ(again->recv_type("peer-left", 10s)["id"], stayer->id());
  // A last change marks the end of the events: every earlier one was queued before it.
  again->send({{"type", "leave"}});
  EXPECT_EQ(again->recv_type("left")["reason"], "leave");
  ASSERT_TRUE(receiver.await_delivered(6));

  const auto events = events_of(receiver, "drained");
  const std::vector<std::pair<std::string, std::string>> expected{
      {"room-started", ""},           {"peer-joined", mover->id()}, {"peer-joined", stayer->id()},
      {"peer-joined", watcher->id()}, {"peer-left", stayer->id()},  {"peer-left", mover->id()}};
  ASSERT_EQ(events.size(), expected.size()) << testing::PrintToString(events);
  for (std::size_t i = 0; i < events.size(); ++i) {
    SCOPED_TRACE(events[i].dump());
    EXPECT_EQ(events[i]["seq"], i + 1);
    EXPECT_EQ(events[i]["event"], expected[i].first);
    if (!expected[i].second.empty()) {
      EXPECT_EQ(events[i]["peer"], expected[i].second);
    }
  }
  EXPECT_EQ(events[4]["reason"], "timeout");
  EXPECT_EQ(events[5]["reason"], "leave");
  EXPECT_EQ(receiver.requests().size(), expected.size()) << "each delivered once, none else";
}

}  // namespace
}  // namespace parley::test
