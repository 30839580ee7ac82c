#include "cluster_nodes.hpp"

#include <algorithm>
#include <regex>
#include <stdexcept>

namespace parley::test {

namespace {

Env node_environment(const std::string& redis_url, const Env& extra) {
  Env env = extra;  // first: a test's own setting wins over the defaults below
  for (const auto& [name, value] : Env{{"PARLEY_CLUSTER_REDIS", redis_url},
                                       {"PARLEY_ADMIN_PORT", "0"},
                                       {"PARLEY_STATIC_DIR", ""},
                                       {"PARLEY_THREADS", "2"}})
    if (std::none_of(extra.begin(), extra.end(),
                     [&](const auto& set) { return set.first == name; }))
      env.emplace_back(name, value);
  return env;
}

}  // namespace

ClusterNode::ClusterNode(const std::string& redis_url, const Env& extra)
    : process_({"--address", "127.0.0.1", "--port", "0"}, node_environment(redis_url, extra)) {
  const std::regex line(R"(cluster: node (\S+) on )");
  TestServer::eventually(
      [&] {
        const std::string log = process_.log();
        std::smatch match;
        if (!std::regex_search(log, match, line)) return false;
        node_id_ = match[1];
        return true;
      },
      10s);
  if (node_id_.empty())
    throw std::runtime_error("parleyd did not log its cluster node id; its log:\n" +
                             process_.log());
}

unsigned ClusterNode::readyz() {
  try {
    return http_get(port(), "/readyz").status;
  } catch (const std::exception&) {
    return 0;
  }
}

bool ClusterNode::await_readyz(unsigned status, std::chrono::milliseconds timeout) {
  return TestServer::eventually([&] { return readyz() == status; }, timeout);
}

std::vector<std::unique_ptr<ClusterNode>> start_nodes(const RedisServer& redis, int count,
                                                      const Env& extra) {
  std::vector<std::unique_ptr<ClusterNode>> nodes;
  for (int i = 0; i < count; ++i)
    nodes.push_back(std::make_unique<ClusterNode>(redis.url(), extra));
  for (auto& node : nodes)
    if (!node->await_readyz(200))
      throw std::runtime_error("a cluster node did not become ready; its log:\n" +
                               node->process().log());
  return nodes;
}

bool redis_mentions(const RedisServer& redis, const std::string& text) {
  for (const auto& entry : redis.dump())
    if (entry.find(text) != std::string::npos) return true;
  return false;
}

}  // namespace parley::test
