// The admin API while the cluster's Redis hangs. A stopped redis-server
// (SIGSTOP) keeps its connections open and answers nothing, so the directory's
// queries stay in flight: the admin API answers 503 with a JSON error once its
// wait (kAdminDirectoryTimeout, 5 s) is over, instead of holding the request
// and its thread, and answers as before once Redis does. A real daemon on a
// real redis-server; every wait is for an answer, bounded by the client's.
#include <gtest/gtest.h>

#include "cluster_nodes.hpp"

namespace parley::test {
namespace {

namespace http = boost::beast::http;

const Env kEnv = {{"PARLEY_ADMIN_TOKEN", "test-admin-token"}};
const std::vector<std::pair<std::string, std::string>> kAuth = {
    {"Authorization", "Bearer test-admin-token"}};

TEST(ClusterAdminOutage, AQueryRedisDoesNotAnswerGets503ThenAnswersAgain) {
  RedisServer redis;
  auto nodes = start_nodes(redis, 1, kEnv);
  auto peer = connect_peer(nodes[0]->port());
  peer->join("kept");
  auto answer = http_request(nodes[0]->admin_port(), http::verb::get, "/admin/rooms/kept", kAuth);
  ASSERT_EQ(answer.status, 200u) << answer.body;

  redis.pause();
  for (const auto& [method, target] : std::vector<std::pair<http::verb, std::string>>{
           {http::verb::get, "/admin/rooms"}, {http::verb::get, "/admin/rooms/kept"}}) {
    answer = http_request(nodes[0]->admin_port(), method, target, kAuth);
    EXPECT_EQ(answer.status, 503u) << target << ": " << answer.body;
    EXPECT_EQ(
        json::parse(answer.body),
        json({{"error", "the room directory did not answer within 5000 ms (Redis); try again"}}))
        << target;
  }
  redis.resume();

  // The queries that were given up on complete now, harmlessly; a new one is
  // answered.
  answer = http_request(nodes[0]->admin_port(), http::verb::get, "/admin/rooms", kAuth);
  EXPECT_EQ(answer.status, 200u) << answer.body;
  EXPECT_TRUE(json::parse(answer.body).is_array()) << answer.body;
}

}  // namespace
}  // namespace parley::test
