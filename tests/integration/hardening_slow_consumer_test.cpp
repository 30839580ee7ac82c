// Slow consumers (limits.max_send_queue_bytes): a peer that stops reading is
// closed with 1013 once its send queue passes the bound, and nobody else pays
// for it: the sender goes on, and a healthy room loses and reorders nothing.
#include <gtest/gtest.h>

#include <filesystem>

#include "harness.hpp"

namespace parley::test {
namespace {

TEST(HardeningSlowConsumer, AReaderThatStopsIsClosedWith1013AndNobodyElseSuffers) {
  Config config = test_config();
  config.limits.max_send_queue_bytes = 256 * 1024;
  config.limits.messages_per_second = 1e6;  // the sender is not the one to limit here
  config.limits.message_burst = 1000000;
  TestServer server(config);

  auto healthy_a = connect_peer(server.port());
  auto healthy_b = connect_peer(server.port());
  healthy_a->join("healthy");
  healthy_b->join("healthy");
  healthy_a->recv_type("peer-joined");

  auto sender = connect_peer(server.port());
  sender->join("slow");
  RawClient slow(server.port());
  std::string slow_bytes = slow.upgrade();
  slow.write(make_frame(0x81, R"({"type":"join","room":"slow"})"));
  const std::string slow_id = sender->recv_type("peer-joined")["id"];

  // Big messages until the server gives up on the reader that never reads;
  // the kernel's socket buffers take some first, then the send queue fills.
  const std::string payload(60000, 'x');
  int sent = 0;
  int healthy_seq = 0;
  while (metric_value(server.admin_port(), "parley_slow_consumer_closes_total") < 1) {
    ASSERT_LT(sent, 5000) << "the slow consumer was never closed";
    for (int i = 0; i < 8; ++i) sender->send({{"type", "message"}, {"seq", sent++}, {"data", payload}});
    // The healthy room talks all along, and every message arrives in order.
    healthy_a->send({{"type", "message"}, {"data", "hi"}, {"seq", healthy_seq}});
    EXPECT_EQ(healthy_b->recv()["seq"], healthy_seq);
    healthy_b->send({{"type", "message"}, {"data", "hi"}, {"seq", healthy_seq}});
    EXPECT_EQ(healthy_a->recv()["seq"], healthy_seq);
    ++healthy_seq;
  }
  // The session ended at once (a close code of the server's own).
  json left = sender->recv_type("peer-left");
  EXPECT_EQ(left["id"], slow_id);
  EXPECT_EQ(left["reason"], "disconnect");
  // The sender is unaffected.
  sender->send({{"type", "ping"}, {"rid", "still-here"}});
  EXPECT_EQ(sender->recv_type("pong")["rid"], "still-here");
  for (int i = 0; i < 100; ++i) {
    healthy_a->send({{"type", "message"}, {"data", "hi"}, {"seq", healthy_seq + i}});
  }
  for (int i = 0; i < 100; ++i) EXPECT_EQ(healthy_b->recv()["seq"], healthy_seq + i);

  // The slow reader, reading at last, finds what had been written, in order,
  // and then the close frame: 1013 with a short reason.
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!parse_close_frame(slow_bytes) && std::chrono::steady_clock::now() < deadline)
    slow_bytes += slow.read_some(1s);
  const auto close = parse_close_frame(slow_bytes);
  ASSERT_TRUE(close.has_value());
  EXPECT_EQ(close->code, 1013u);
  EXPECT_LE(close->reason.size(), 123u);
  EXPECT_EQ(metric_value(server.admin_port(), "parley_slow_consumer_closes_total"), 1);
  EXPECT_EQ(metric_value(server.admin_port(), "parley_connections"), 3);  // healthy pair + sender
}

std::size_t open_fds(int pid) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd"))
    ++n;
  return n;
}

TEST(HardeningSlowConsumer, AReaderThatNeverReadsAgainIsStillLetGo) {
  // The close frame for 1013 waits behind a write the reader never takes; the
  // server must not wait for ever: the connection, its socket and its queued
  // bytes go away within the close deadline although the client does nothing.
  DaemonProcess daemon({"--address", "127.0.0.1", "--port", "0"},
                       {{"PARLEY_ADMIN_PORT", "0"},
                        {"PARLEY_STATIC_DIR", ""},
                        {"PARLEY_LIMITS_MAX_SEND_QUEUE_BYTES", "65536"},
                        {"PARLEY_LIMITS_MESSAGES_PER_SECOND", "1000000"},
                        {"PARLEY_LIMITS_MESSAGE_BURST", "1000000"},
                        {"PARLEY_LIMITS_HANDSHAKE_TIMEOUT", "0.5"}});
  auto sender = connect_peer(daemon.port());
  sender->join("never-reads");
  RawClient slow(daemon.port());
  slow.upgrade();
  slow.write(make_frame(0x81, R"({"type":"join","room":"never-reads"})"));
  sender->recv_type("peer-joined");
  // Every connection of the daemon is a WebSocket now: no HTTP request is in
  // flight, so this count is stable.
  const std::size_t with_slow = open_fds(daemon.pid());

  const std::string payload(60000, 'z');
  int sent = 0;
  while (metric_value(daemon.admin_port(), "parley_slow_consumer_closes_total") < 1) {
    ASSERT_LT(sent, 5000) << "the slow consumer was never closed";
    for (int i = 0; i < 8; ++i) sender->send({{"type", "message"}, {"seq", sent++}, {"data", payload}});
  }
  EXPECT_EQ(sender->recv_type("peer-left")["reason"], "disconnect");
  // The slow client still holds its end open and reads nothing.
  EXPECT_TRUE(TestServer::eventually([&] { return open_fds(daemon.pid()) < with_slow; }, 10s))
      << open_fds(daemon.pid()) << " descriptors open, " << with_slow << " with the slow reader";
}

TEST(HardeningSlowConsumer, ABurstThatFitsTheQueueIsDeliveredWhole) {
  // The bound is on what waits, not on what passes: a reader that keeps up
  // gets far more than the queue's size, all of it.
  Config config = test_config();
  config.limits.max_send_queue_bytes = 64 * 1024;
  config.limits.messages_per_second = 1e6;
  config.limits.message_burst = 1000000;
  TestServer server(config);
  auto a = connect_peer(server.port());
  auto b = connect_peer(server.port());
  a->join("fast");
  b->join("fast");
  a->recv_type("peer-joined");
  const std::string payload(1000, 'y');
  for (int round = 0; round < 20; ++round) {
    // 20 KB at a time: well within the queue; b reads each round in full.
    for (int i = 0; i < 20; ++i) a->send({{"type", "message"}, {"seq", round * 20 + i}, {"data", payload}});
    for (int i = 0; i < 20; ++i) EXPECT_EQ(b->recv()["seq"], round * 20 + i);
  }
  EXPECT_EQ(metric_value(server.admin_port(), "parley_slow_consumer_closes_total"), 0);
}

}  // namespace
}  // namespace parley::test
