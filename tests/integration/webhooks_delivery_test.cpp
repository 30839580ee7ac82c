// Webhook delivery against real HTTP(S) receivers on 127.0.0.1: every field and
// the signature (checked with OpenSSL's EVP HMAC), retries until a receiver
// recovers, per-room order, a hanging receiver that holds back only its room,
// queue overflow, URL changes on reload, and https:// with a test CA.
#include <atomic>
#include <optional>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <boost/asio/executor_work_guard.hpp>

#include "harness.hpp"
#include "webhook_receiver.hpp"
#include "webhooks/webhook_dispatcher.hpp"
#include "webhooks/webhook_signature.hpp"

namespace parley::test {
namespace {

namespace net = boost::asio;

constexpr char kSecret[] = "test-webhook-secret";

// Retries soon, so that tests of retrying take a fraction of a second; still
// the contract's shape (doubling, capped).
RetryPolicy quick_retries(double give_up_after = 300) {
  return RetryPolicy{0.02, 0.2, give_up_after};
}

// A dispatcher on its own io_context with two threads.
class Rig {
 public:
  explicit Rig(WebhookSettings settings, WebhookDispatcher::Options options = {})
      : guard_(net::make_work_guard(ioc_)) {
    if (settings.secret.empty()) settings.secret = kSecret;
    dispatcher_ = std::make_unique<WebhookDispatcher>(ioc_, clock_, stats_, std::move(settings),
                                                      std::move(options));
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { ioc_.run(); });
  }
  ~Rig() {
    dispatcher_.reset();
    guard_.reset();
    ioc_.stop();
    for (auto& thread : threads_) thread.join();
  }
  WebhookDispatcher& dispatcher() { return *dispatcher_; }
  WebhookStats& stats() { return stats_; }

 private:
  SystemClock clock_;
  WebhookStats stats_;
  net::io_context ioc_;
  net::executor_work_guard<net::io_context::executor_type> guard_;
  std::unique_ptr<WebhookDispatcher> dispatcher_;
  std::vector<std::thread> threads_;
};

WebhookSettings settings_for(std::vector<std::string> urls, double timeout = 5) {
  WebhookSettings settings;
  settings.urls = std::move(urls);
  settings.secret = kSecret;
  settings.timeout = timeout;
  return settings;
}

std::vector<std::uint64_t> seqs_of(const std::vector<ReceivedHook>& hooks,
                                   const std::string& room) {
  std::vector<std::uint64_t> seqs;
  for (const auto& hook : hooks)
    if (hook.json.is_object() && hook.json["room"] == room) seqs.push_back(hook.json["seq"]);
  return seqs;
}

std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TEST(WebhookDelivery, EveryEventArrivesSignedWithEveryField) {
  WebhookReceiver receiver;
  Rig rig(settings_for({receiver.url("/hooks/parley?k=1")}));
  const auto before = unix_ms();
  auto& d = rig.dispatcher();
  d.publish(WebhookEvent::room_started("room 1"));
  d.publish(WebhookEvent::peer_joined("room 1", "peer-a"));
  d.publish(WebhookEvent::peer_updated("room 1", "peer-a", {{"name", "Ann"}}));
  const char* reasons[] = {"leave", "disconnect", "timeout", "kicked"};
  for (const char* reason : reasons) d.publish(WebhookEvent::peer_left("room 1", "peer-a", reason));
  d.publish(WebhookEvent::room_finished("room 1"));
  ASSERT_TRUE(receiver.await_delivered(8));
  const auto after = unix_ms();

  const auto hooks = receiver.delivered();
  ASSERT_EQ(hooks.size(), 8u);
  std::set<std::string> ids;
  const std::vector<std::string> events{"room-started", "peer-joined",  "peer-updated",
                                        "peer-left",    "peer-left",    "peer-left",
                                        "peer-left",    "room-finished"};
  for (std::size_t i = 0; i < hooks.size(); ++i) {
    const auto& hook = hooks[i];
    SCOPED_TRACE(hook.body);
    EXPECT_EQ(hook.method, "POST");
    EXPECT_EQ(hook.target, "/hooks/parley?k=1");
    EXPECT_EQ(hook.content_type, "application/json");
    EXPECT_EQ(signature_problem(hook.signature, hook.body, kSecret), "");
    EXPECT_NE(signature_problem(hook.signature, hook.body, "another secret"), "");
    ASSERT_TRUE(hook.json.is_object());
    EXPECT_EQ(hook.json["event"], events[i]);
    EXPECT_EQ(hook.json["room"], "room 1");
    EXPECT_EQ(hook.json["seq"], i + 1);
    ASSERT_TRUE(hook.json["at"].is_number_integer());
    EXPECT_GE(hook.json["at"].get<std::int64_t>(), before);
    EXPECT_LE(hook.json["at"].get<std::int64_t>(), after);
    ASSERT_TRUE(hook.json["id"].is_string());
    ids.insert(hook.json["id"].get<std::string>());
    const bool peer_event = i >= 1 && i <= 6;
    EXPECT_EQ(hook.json.contains("peer"), peer_event);
    EXPECT_EQ(hook.json.contains("meta"), peer_event);
    if (peer_event) {
      EXPECT_EQ(hook.json["peer"], "peer-a");
      EXPECT_TRUE(hook.json["meta"].is_object());
    }
    EXPECT_EQ(hook.json.contains("reason"), i >= 3 && i <= 6);
    if (i >= 3 && i <= 6) {
      EXPECT_EQ(hook.json["reason"], reasons[i - 3]);
    }
  }
  EXPECT_EQ(hooks[1].json["meta"], nlohmann::json::object());
  EXPECT_EQ(hooks[2].json["meta"], nlohmann::json({{"name", "Ann"}}));
  EXPECT_EQ(ids.size(), 8u);  // unique ids
  EXPECT_TRUE(TestServer::eventually([&] { return rig.stats().ok.load() == 8; }));
  EXPECT_EQ(rig.stats().retry.load(), 0u);
  EXPECT_TRUE(TestServer::eventually([&] { return rig.stats().queue.load() == 0; }));
}

TEST(WebhookDelivery, AFailingReceiverGetsEverythingInOrderOnceItRecovers) {
  WebhookReceiver receiver;
  int failures_left = 4;
  receiver.set_behaviour([&](const ReceivedHook&) -> unsigned {
    if (failures_left > 0) return failures_left-- % 2 == 0 ? 503 : 404;
    return 204;
  });
  WebhookDispatcher::Options options;
  options.retry = quick_retries();
  Rig rig(settings_for({receiver.url()}), options);
  rig.dispatcher().publish(WebhookEvent::room_started("r"));
  for (int i = 0; i < 4; ++i)
    rig.dispatcher().publish(WebhookEvent::peer_joined("r", "p" + std::to_string(i)));
  ASSERT_TRUE(receiver.await_delivered(5));

  const auto all = receiver.requests();
  ASSERT_EQ(all.size(), 9u);  // 4 failures of the first event, then 5 deliveries
  for (int i = 0; i < 5; ++i) EXPECT_EQ(all[i].json["seq"], 1) << "retried before moving on";
  EXPECT_EQ(all[0].json["id"], all[4].json["id"]) << "a retry sends the same event";
  EXPECT_EQ(seqs_of(receiver.delivered(), "r"), (std::vector<std::uint64_t>{1, 2, 3, 4, 5}));
  EXPECT_TRUE(TestServer::eventually([&] { return rig.stats().ok.load() == 5; }));
  EXPECT_EQ(rig.stats().retry.load(), 4u);
  EXPECT_EQ(rig.stats().dropped.load(), 0u);
}

TEST(WebhookDelivery, AnEventNumberedByTheDirectoryKeepsItsSeq) {
  WebhookReceiver receiver;
  Rig rig(settings_for({receiver.url()}));
  // As a cluster node publishes them: numbered in Redis, some by other nodes.
  auto joined = WebhookEvent::peer_joined("c", "p");
  joined.seq = 4;
  auto left = WebhookEvent::peer_left("c", "p", "leave");
  left.seq = 6;
  rig.dispatcher().publish(joined);
  rig.dispatcher().publish(left);
  rig.dispatcher().publish(WebhookEvent::room_started("d"));  // unnumbered: 1
  ASSERT_TRUE(receiver.await_delivered(3));
  EXPECT_EQ(seqs_of(receiver.delivered(), "c"), (std::vector<std::uint64_t>{4, 6}));
  EXPECT_EQ(seqs_of(receiver.delivered(), "d"), (std::vector<std::uint64_t>{1}));
}

TEST(WebhookDelivery, ASigningFailureIsAFailedAttemptRetriedNotAnException) {
  WebhookReceiver receiver;
  std::atomic<int> failures_left = 3;
  WebhookDispatcher::Options options;
  options.retry = quick_retries();
  options.sign = [&](std::string_view secret, std::int64_t t,
                     std::string_view body) -> std::optional<std::string> {
    if (failures_left.fetch_sub(1) > 0) return std::nullopt;  // as OpenSSL out of memory
    return webhook_signature(secret, t, body);
  };
  Rig rig(settings_for({receiver.url()}), options);
  rig.dispatcher().publish(WebhookEvent::room_started("r"));
  rig.dispatcher().publish(WebhookEvent::peer_joined("r", "p"));
  ASSERT_TRUE(receiver.await_delivered(2));
  EXPECT_EQ(receiver.requests().size(), 2u) << "nothing unsigned was sent";
  EXPECT_EQ(seqs_of(receiver.delivered(), "r"), (std::vector<std::uint64_t>{1, 2}));
  for (const auto& hook : receiver.delivered())
    EXPECT_EQ(signature_problem(hook.signature, hook.body, kSecret), "");
  EXPECT_TRUE(TestServer::eventually([&] { return rig.stats().ok.load() == 2; }));
  EXPECT_EQ(rig.stats().retry.load(), 3u);
}

TEST(WebhookDelivery, RefusedConnectionsAreRetriedThenDropped) {
  // A port that refuses: bound, then closed.
  std::uint16_t closed_port = 0;
  {
    net::io_context ioc;
    net::ip::tcp::acceptor acceptor(ioc, {net::ip::make_address("127.0.0.1"), 0});
    closed_port = acceptor.local_endpoint().port();
  }
  WebhookDispatcher::Options options;
  options.retry = quick_retries(/*give_up_after=*/0.5);
  Rig rig(settings_for({"http://127.0.0.1:" + std::to_string(closed_port) + "/"}), options);
  rig.dispatcher().publish(WebhookEvent::room_started("r"));
  ASSERT_TRUE(TestServer::eventually([&] { return rig.stats().dropped.load() == 1; }, 20s));
  EXPECT_GE(rig.stats().retry.load(), 2u);
  EXPECT_EQ(rig.stats().ok.load(), 0u);
  EXPECT_TRUE(TestServer::eventually([&] { return rig.dispatcher().waiting() == 0; }));
}

TEST(WebhookDelivery, AHangingReceiverHoldsBackOnlyItsRoom) {
  WebhookReceiver receiver;
  receiver.set_behaviour(
      [](const ReceivedHook& hook) -> unsigned { return hook.json["room"] == "stuck" ? 0 : 200; });
  // A long timeout: the stuck room's attempt is still hanging when the test ends.
  Rig rig(settings_for({receiver.url()}, /*timeout=*/60));
  auto& d = rig.dispatcher();
  d.publish(WebhookEvent::room_started("stuck"));
  d.publish(WebhookEvent::peer_joined("stuck", "p"));
  ASSERT_TRUE(receiver.await([](const auto& all) { return all.size() == 1; }));
  d.publish(WebhookEvent::room_started("free"));
  d.publish(WebhookEvent::peer_joined("free", "q"));
  d.publish(WebhookEvent::room_finished("free"));
  ASSERT_TRUE(receiver.await_delivered(3));
  EXPECT_EQ(seqs_of(receiver.delivered(), "free"), (std::vector<std::uint64_t>{1, 2, 3}));
  // The stuck room's second event was never sent: its first has no answer.
  EXPECT_EQ(seqs_of(receiver.requests(), "stuck"), std::vector<std::uint64_t>{1});
  // The free room's events leave the queue once their answers are read.
  EXPECT_TRUE(TestServer::eventually([&] { return rig.dispatcher().waiting() == 2; }));
}

TEST(WebhookDelivery, ATimeoutCountsAsAFailureAndIsRetried) {
  WebhookReceiver receiver;
  int hangs_left = 1;
  receiver.set_behaviour(
      [&](const ReceivedHook&) -> unsigned { return hangs_left-- > 0 ? 0 : 200; });
  WebhookDispatcher::Options options;
  options.retry = quick_retries();
  Rig rig(settings_for({receiver.url()}, /*timeout=*/0.2), options);
  rig.dispatcher().publish(WebhookEvent::room_started("r"));
  ASSERT_TRUE(receiver.await_delivered(1));
  EXPECT_EQ(receiver.requests().size(), 2u);
  EXPECT_TRUE(TestServer::eventually([&] { return rig.stats().ok.load() == 1; }));
  EXPECT_EQ(rig.stats().retry.load(), 1u);
}

TEST(WebhookDelivery, AFullQueueDropsTheNewestAndCountsThem) {
  WebhookReceiver receiver;
  receiver.set_behaviour([](const ReceivedHook&) -> unsigned { return 0; });  // nothing finishes
  WebhookSettings settings = settings_for({receiver.url(), receiver.url("/second")}, 60);
  settings.max_queue = 3;
  Rig rig(settings);
  for (int i = 0; i < 5; ++i)
    rig.dispatcher().publish(WebhookEvent::room_started("r" + std::to_string(i)));
  EXPECT_EQ(rig.stats().overflow.load(), 2u);
  EXPECT_EQ(rig.stats().dropped.load(), 4u);  // two events, two URLs each
  EXPECT_EQ(rig.stats().queue.load(), 3);
  EXPECT_EQ(rig.dispatcher().waiting(), 3u);
  // The three accepted ones are the oldest: r0, r1, r2 reach both URLs.
  ASSERT_TRUE(receiver.await([](const auto& all) { return all.size() == 6; }));
  std::set<std::string> rooms;
  for (const auto& hook : receiver.requests()) rooms.insert(hook.json["room"].get<std::string>());
  EXPECT_EQ(rooms, (std::set<std::string>{"r0", "r1", "r2"}));
  const auto text = rig.stats().render();
  EXPECT_NE(text.find("parley_webhook_deliveries_total{result=\"dropped\"} 4"), std::string::npos);
  EXPECT_NE(text.find("parley_webhook_queue 3"), std::string::npos);
}

TEST(WebhookDelivery, EveryUrlReceivesEveryEventInOrder) {
  WebhookReceiver first, second;
  Rig rig(settings_for({first.url(), second.url()}));
  rig.dispatcher().publish(WebhookEvent::room_started("a"));
  rig.dispatcher().publish(WebhookEvent::room_started("b"));
  rig.dispatcher().publish(WebhookEvent::peer_joined("a", "x"));
  rig.dispatcher().publish(WebhookEvent::peer_joined("b", "y"));
  ASSERT_TRUE(first.await_delivered(4));
  ASSERT_TRUE(second.await_delivered(4));
  for (auto* receiver : {&first, &second}) {
    EXPECT_EQ(seqs_of(receiver->delivered(), "a"), (std::vector<std::uint64_t>{1, 2}));
    EXPECT_EQ(seqs_of(receiver->delivered(), "b"), (std::vector<std::uint64_t>{1, 2}));
  }
  // The same event has the same id at every URL.
  const auto first_id = [](const WebhookReceiver& receiver) {
    for (const auto& hook : receiver.delivered())
      if (hook.json["room"] == "a" && hook.json["seq"] == 1) return hook.json["id"];
    return json();
  };
  EXPECT_EQ(first_id(first), first_id(second));
  EXPECT_TRUE(first_id(first).is_string());
}

TEST(WebhookDelivery, ReloadedUrlsAndSecretApplyToEventsNotYetSent) {
  WebhookReceiver old_receiver, new_receiver;
  Rig rig(settings_for({old_receiver.url()}));
  rig.dispatcher().publish(WebhookEvent::room_started("r"));
  ASSERT_TRUE(old_receiver.await_delivered(1));
  WebhookSettings changed = settings_for({new_receiver.url()});
  changed.secret = "rotated";
  rig.dispatcher().configure(changed);
  rig.dispatcher().publish(WebhookEvent::peer_joined("r", "p"));
  ASSERT_TRUE(new_receiver.await_delivered(1));
  const auto hook = new_receiver.delivered()[0];
  EXPECT_EQ(hook.json["seq"], 2) << "the room's seq goes on across a reload";
  EXPECT_EQ(signature_problem(hook.signature, hook.body, "rotated"), "");
  EXPECT_EQ(old_receiver.requests().size(), 1u);
}

// ---- https://

TEST(WebhookDeliveryTls, VerifiesTheReceiverAgainstTheGivenCa) {
  TestCertificates certificates;
  WebhookReceiver receiver(certificates.server_context());
  WebhookDispatcher::Options options;
  options.ca_file = certificates.ca_file();
  Rig rig(settings_for({receiver.url("/hook", "127.0.0.1"), receiver.url("/named", "localhost")}),
          options);
  rig.dispatcher().publish(WebhookEvent::room_started("secure"));
  ASSERT_TRUE(receiver.await_delivered(2));
  for (const auto& hook : receiver.delivered()) {
    EXPECT_EQ(hook.json["event"], "room-started");
    EXPECT_EQ(signature_problem(hook.signature, hook.body, kSecret), "");
  }
}

// A receiver whose certificate should be refused: the handshake fails, so no
// request arrives, and the attempts count as retries.
void expect_refused(std::shared_ptr<net::ssl::context> server, const std::string& ca_file) {
  WebhookReceiver receiver(std::move(server));
  WebhookDispatcher::Options options;
  options.ca_file = ca_file;
  options.retry = quick_retries();
  Rig rig(settings_for({receiver.url()}), options);
  rig.dispatcher().publish(WebhookEvent::room_started("r"));
  ASSERT_TRUE(TestServer::eventually([&] { return rig.stats().retry.load() >= 2; }, 20s));
  EXPECT_GE(receiver.connections(), 2u);
  EXPECT_TRUE(receiver.requests().empty());
  EXPECT_EQ(rig.stats().ok.load(), 0u);
}

TEST(WebhookDeliveryTls, RefusesACertificateForAnotherHost) {
  TestCertificates certificates;
  expect_refused(certificates.wrong_host_context(), certificates.ca_file());
}

TEST(WebhookDeliveryTls, RefusesACertificateFromAnUntrustedCa) {
  TestCertificates certificates;
  expect_refused(certificates.untrusted_context(), certificates.ca_file());
}

TEST(WebhookDeliveryTls, TheSystemStoreDoesNotTrustTheTestCa) {
  TestCertificates certificates;
  expect_refused(certificates.server_context(), /*ca_file=*/"");
}

}  // namespace
}  // namespace parley::test
