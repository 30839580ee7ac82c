// The Redis directory as tests/unit/room_directory_contract_test.cpp sees it
// (that file, compiled into parley_cluster_tests, includes this one): one node,
// a backplane and its directory on a loop thread of their own, on a real
// redis-server started for each test. Resume
// grace runs on Redis's clock there, so the contract's ManualClock checks of
// next_deadline()/expire() do not apply; the sweep that ends away peers is
// tested with the backplane (cluster_backplane_test.cpp, cluster_rooms_test.cpp).
#pragma once

#include <future>
#include <memory>
#include <stdexcept>
#include <thread>
#include <utility>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "cluster/redis_room_directory.hpp"
#include "redis_server.hpp"

namespace parley {

// One node and its Redis, alive as long as the directory handed out.
class RedisContractNode {
 public:
  explicit RedisContractNode(const DirectoryLimits& limits) {
    BackplaneOptions options;
    std::string error;
    options.redis.url = parse_redis_url(server_.url(), error).value();
    options.node_id = "contract";
    options.resume_grace = limits.resume_grace;
    backplane_ = ClusterBackplane::create(io_.get_executor(), options);
    directory_ = RedisRoomDirectory::create(backplane_, limits);
    // Ready once (the callback runs on the backplane's strand, one at a time).
    auto ready = std::make_shared<std::promise<void>>();
    auto became_ready = ready->get_future();
    backplane_->on_ready_changed([ready, told = std::make_shared<bool>(false)](bool now) {
      if (now && !std::exchange(*told, true)) ready->set_value();
    });
    backplane_->start();
    thread_ = std::thread([this] { io_.run(); });
    if (became_ready.wait_for(std::chrono::seconds(20)) != std::future_status::ready) {
      shut_down();
      throw std::runtime_error("the node did not get ready on its redis-server");
    }
  }
  ~RedisContractNode() { shut_down(); }
  RedisContractNode(const RedisContractNode&) = delete;
  RedisContractNode& operator=(const RedisContractNode&) = delete;

  RoomDirectory* directory() { return directory_.get(); }

 private:
  void shut_down() {
    if (!thread_.joinable()) return;
    std::promise<void> stopped;
    backplane_->stop(false, [&stopped] { stopped.set_value(); });
    stopped.get_future().wait_for(std::chrono::seconds(20));
    guard_.reset();
    io_.stop();
    thread_.join();
  }

  test::RedisServer server_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_{
      io_.get_executor()};
  std::shared_ptr<ClusterBackplane> backplane_;
  std::shared_ptr<RedisRoomDirectory> directory_;
  std::thread thread_;
};

struct RedisDirectoryFactory {
  static std::shared_ptr<RoomDirectory> make(const Clock&, const DirectoryLimits& limits) {
    auto node = std::make_shared<RedisContractNode>(limits);
    return std::shared_ptr<RoomDirectory>(node, node->directory());
  }
  static constexpr bool kGraceOnGivenClock = false;
};

using Implementations = ::testing::Types<RedisDirectoryFactory>;

}  // namespace parley
