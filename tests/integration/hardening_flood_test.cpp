// One client floods the server as fast as a socket allows while two other
// rooms exchange 1,000 messages each way: the flooder is rate-limited, then
// closed with 1008; the rooms lose nothing and reorder nothing.
#include <gtest/gtest.h>

#include <mutex>
#include <thread>

#include "harness.hpp"

namespace parley::test {
namespace {

constexpr int kMessages = 1000;

// Failures seen on helper threads (gtest assertions throw nothing there, and
// an exception must not escape a thread).
struct Failures {
  void add(std::string what) {
    std::lock_guard lock(mutex);
    list.push_back(std::move(what));
  }
  std::mutex mutex;
  std::vector<std::string> list;
};

// Two peers of `room` send kMessages each to the other, then each checks
// that it received exactly the other's sequence, in order.
void exchange(std::uint16_t port, const std::string& room, Failures& failures) {
  try {
    auto a = connect_peer(port);
    auto b = connect_peer(port);
    a->join(room);
    b->join(room);
    a->recv_type("peer-joined");
    for (int i = 0; i < kMessages; ++i) {
      a->send({{"type", "message"}, {"data", {{"room", room}, {"seq", i}}}});
      b->send({{"type", "message"}, {"data", {{"room", room}, {"seq", i}}}});
    }
    for (auto [receiver, sender] : {std::pair{a.get(), b.get()}, std::pair{b.get(), a.get()}}) {
      for (int i = 0; i < kMessages; ++i) {
        json got = receiver->recv(20s);
        if (got["type"] != "message" || got["from"] != sender->id() ||
            got["data"] != json({{"room", room}, {"seq", i}})) {
          failures.add(room + ": expected seq " + std::to_string(i) + ", got " + got.dump());
          return;
        }
      }
    }
  } catch (const std::exception& e) {
    failures.add(room + ": " + e.what());
  }
}

TEST(HardeningFlood, AFlooderIsClosedWhileTwoRoomsLoseNothing) {
  Config config = test_config();
  // The rooms' peers send 1,001 messages each (join included): within the
  // burst. The refill is too slow to matter, so the flooder runs dry at once.
  config.limits.message_burst = 2100;
  config.limits.messages_per_second = 1;
  TestServer server(config);

  Failures failures;
  std::optional<CloseFrame> flooder_close;
  std::size_t rate_limited = 0;
  std::thread flooder([&] {
    try {
      RawClient raw(server.port());
      std::string got = raw.upgrade();
      std::string flood = make_frame(0x81, R"({"type":"join","room":"flood"})");
      for (int i = 0; i < 6000; ++i)
        flood += make_frame(0x81, i % 3 ? R"({"type":"message","data":)" + std::to_string(i) + "}"
                                        : std::string("garbage"));
      raw.write(flood);
      const auto deadline = std::chrono::steady_clock::now() + 30s;
      while (!parse_close_frame(got) && std::chrono::steady_clock::now() < deadline)
        got += raw.read_some(1s);
      flooder_close = parse_close_frame(got);
      for (std::size_t pos = 0; (pos = got.find("rate-limited", pos)) != std::string::npos; ++pos)
        ++rate_limited;
    } catch (const std::exception& e) {
      failures.add(std::string("flooder: ") + e.what());
    }
  });
  std::thread room_one([&] { exchange(server.port(), "room-one", failures); });
  std::thread room_two([&] { exchange(server.port(), "room-two", failures); });
  flooder.join();
  room_one.join();
  room_two.join();

  for (const auto& failure : failures.list) ADD_FAILURE() << failure;
  ASSERT_TRUE(flooder_close.has_value());
  EXPECT_EQ(flooder_close->code, 1008u);
  EXPECT_GT(rate_limited, 0u);
  EXPECT_EQ(metric_value(server.admin_port(), "parley_rate_limit_closes_total"), 1);
  // Every room message was relayed (the flooder's accepted ones come on top).
  EXPECT_GE(metric_value(server.admin_port(), "parley_messages_relayed_total{type=\"message\"}"),
            4 * kMessages);
}

}  // namespace
}  // namespace parley::test
