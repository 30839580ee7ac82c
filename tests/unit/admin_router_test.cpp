// The admin API's room directory queries are bounded: when the directory does
// not answer (a Redis directory whose server hangs), the request gets a 503
// with a JSON error after the router's timeout, and the answer that comes
// later is harmless. No sockets: the router's answers are read as bytes.
#include "ops/admin_router.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

namespace parley {
namespace {

namespace http = boost::beast::http;
using nlohmann::json;

RoomInfo room_named(const std::string& name) {
  RoomInfo room;
  room.name = name;
  return room;
}

// A directory whose admin operations keep their completions, as a Redis
// directory's do while its server does not answer, until answer_all(); or,
// with `answer_at_once`, completes them inline as the in-process one does.
class SilentDirectory final : public RoomDirectory {
 public:
  void set_limits(const DirectoryLimits&) override {}
  Connected connect(std::shared_ptr<PeerLink>) override { return {}; }
  void join(const std::string&, const std::string&, JoinOptions, JoinDone) override {}
  void update_meta(const std::string&, nlohmann::json, MetaDone) override {}
  void watch(const std::string&, const std::string&, WatchDone) override {}
  void unwatch(const std::string&, const std::string&, std::function<void(bool)>) override {}
  void leave(const std::string&, LeaveDone) override {}
  RelayStatus relay(const std::string&, const std::string*, RelayDraft) override {
    return RelayStatus::unknown_peer;
  }
  void send_server_message(const std::string&, const std::string*, std::string,
                           ServerMessageDone done) override {
    hold([done] { done({ServerMessageStatus::delivered, 1}); });
  }
  void end(const std::string&, const PeerLink*) override {}
  void lost(const std::string&, PeerLink*) override {}
  void resume(const std::string&, const std::string&, std::shared_ptr<PeerLink>,
              ResumeDone) override {}
  void hand_over(const std::string&, std::vector<SharedMessage>) override {}
  std::size_t expire() override { return 0; }
  std::optional<double> next_deadline() const override { return std::nullopt; }
  void rooms(std::function<void(std::vector<RoomInfo>)> done) const override {
    hold([done] { done({room_named("lobby")}); });
  }
  void room(const std::string& name,
            std::function<void(std::optional<RoomInfo>)> done) const override {
    hold([done, name] { done(room_named(name)); });
  }
  void kick_room(const std::string&, std::function<void(bool)> done) override {
    hold([done] { done(true); });
  }
  void kick_peer(const std::string&, std::function<void(bool)> done) override {
    hold([done] { done(true); });
  }
  std::optional<std::string> room_of(const std::string&) const override { return std::nullopt; }
  DirectoryCounts counts() const override { return {}; }
  void clear() override {}

  // Completes every query held so far (after the router gave up on them).
  void answer_all() {
    auto held = std::move(held_);
    held_.clear();
    for (auto& answer : held) answer();
  }
  std::size_t held() const { return held_.size(); }

  bool answer_at_once = false;

 private:
  void hold(std::function<void()> answer) const {
    if (answer_at_once)
      answer();
    else
      held_.push_back(std::move(answer));
  }
  mutable std::vector<std::function<void()>> held_;
};

struct Answer {
  int status = 0;
  std::string body;
};

// The response as the admin listener would write it.
Answer answer_of(http::message_generator generator) {
  std::string raw;
  boost::system::error_code ec;
  while (!generator.is_done()) {
    const auto buffers = generator.prepare(ec);
    EXPECT_FALSE(ec) << ec.message();
    if (ec) break;
    std::size_t size = 0;
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers); ++it) {
      raw.append(static_cast<const char*>(it->data()), it->size());
      size += it->size();
    }
    generator.consume(size);
  }
  Answer answer;
  answer.status = std::stoi(raw.substr(raw.find(' ') + 1, 3));
  answer.body = raw.substr(raw.find("\r\n\r\n") + 4);
  return answer;
}

class AdminRouterTest : public ::testing::Test {
 protected:
  AdminRouterTest() : context(ioc, clock, directory, metrics) {
    Config config;
    config.admin.token = "secret";
    context.set_config(std::make_shared<const Config>(config));
  }

  Answer call(AdminRouter& router, http::verb method, const std::string& target,
              std::string body = {}) {
    HttpRequest request{method, target, 11};
    request.set(http::field::authorization, "Bearer secret");
    request.body() = std::move(body);
    request.prepare_payload();
    return answer_of(router.handle(request));
  }

  boost::asio::io_context ioc;
  ManualClock clock;
  SilentDirectory directory;
  Metrics metrics;
  ServerContext context;
};

struct Query {
  http::verb method;
  const char* target;
  const char* body;
};

const std::vector<Query> kQueries{
    {http::verb::get, "/admin/rooms", ""},
    {http::verb::get, "/admin/rooms/lobby", ""},
    {http::verb::delete_, "/admin/rooms/lobby", ""},
    {http::verb::delete_, "/admin/peers/p1", ""},
    {http::verb::post, "/admin/rooms/lobby/messages", R"({"data":{"notice":1}})"},
};

TEST_F(AdminRouterTest, AQueryTheDirectoryDoesNotAnswerGets503AfterTheTimeout) {
  AdminRouter router(context, std::chrono::milliseconds(1));
  for (const auto& query : kQueries) {
    SCOPED_TRACE(query.target);
    const auto answer = call(router, query.method, query.target, query.body);
    EXPECT_EQ(answer.status, 503);
    const auto body = json::parse(answer.body);
    EXPECT_EQ(body["error"], "the room directory did not answer within 1 ms (Redis); try again");
  }
  // The answers that come late go nowhere, and harm nothing.
  EXPECT_EQ(directory.held(), kQueries.size());
  directory.answer_all();
  EXPECT_EQ(directory.held(), 0u);
}

TEST_F(AdminRouterTest, ADirectoryThatAnswersAtOnceIsAnsweredAsBefore) {
  directory.answer_at_once = true;
  AdminRouter router(context, std::chrono::milliseconds(1));
  const std::vector<std::pair<int, json>> expected{
      {200, json::array({{{"room", "lobby"},
                          {"peers", json::array()},
                          {"meta", json::object()},
                          {"created", 0}}})},
      {200,
       {{"room", "lobby"}, {"peers", json::array()}, {"meta", json::object()}, {"created", 0}}},
      {200, {{"closed", "lobby"}}},
      {200, {{"removed", "p1"}}},
      {200, {{"delivered", 1}}},
  };
  ASSERT_EQ(expected.size(), kQueries.size());
  for (std::size_t i = 0; i < kQueries.size(); ++i) {
    SCOPED_TRACE(kQueries[i].target);
    const auto answer = call(router, kQueries[i].method, kQueries[i].target, kQueries[i].body);
    EXPECT_EQ(answer.status, expected[i].first);
    EXPECT_EQ(json::parse(answer.body), expected[i].second);
  }
}

}  // namespace
}  // namespace parley
