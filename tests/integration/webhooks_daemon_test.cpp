// Webhooks end to end through the parleyd binary (integration-v1 "Webhooks"):
// peers join with metadata, update it, leave, close, get kicked, lose their
// connection with and without a resume, and a receiver in the test sees exactly
// the contract's events, every field, signed (checked with OpenSSL's EVP HMAC),
// in seq order per room; a receiver that fails then recovers, one that hangs,
// a full queue, and an https:// receiver with a test CA.
#include <csignal>
#include <fstream>
#include <set>
#include <tuple>

#include <gtest/gtest.h>

#include "harness.hpp"
#include "webhook_receiver.hpp"

namespace parley::test {
namespace {

namespace http = boost::beast::http;

constexpr char kSecret[] = "daemon-webhook-secret";
const std::pair<std::string, std::string> kAuth{"Authorization", "Bearer test-admin-token"};
using Env = std::vector<std::pair<std::string, std::string>>;

DaemonProcess start_daemon(const std::vector<std::string>& urls, Env extra = {}) {
  Env env{{"PARLEY_ADMIN_PORT", "0"},
          {"PARLEY_ADMIN_TOKEN", "test-admin-token"},
          {"PARLEY_STATIC_DIR", ""},
          {"PARLEY_THREADS", "2"},
          {"PARLEY_LIMITS_MAX_PEERS_PER_ROOM", "4"},
          {"PARLEY_RESUME_GRACE", "30"},
          {"PARLEY_WEBHOOKS_URLS", json(urls).dump()},
          {"PARLEY_WEBHOOKS_SECRET", kSecret}};
  for (auto& [key, value] : extra) {
    std::erase_if(env, [&](const auto& entry) { return entry.first == key; });
    env.emplace_back(key, value);
  }
  return DaemonProcess({"--address", "127.0.0.1", "--port", "0"}, env);
}

std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The delivered (2xx) requests about `room`, in arrival order.
std::vector<ReceivedHook> hooks_of(const WebhookReceiver& receiver, const std::string& room) {
  std::vector<ReceivedHook> hooks;
  for (const auto& hook : receiver.delivered())
    if (hook.json.is_object() && hook.json["room"] == room) hooks.push_back(hook);
  return hooks;
}

// "event" or "event:reason", for the events of `room` delivered so far, in
// order; checks seq and signatures on the way.
std::vector<std::string> events_of(const WebhookReceiver& receiver, const std::string& room) {
  std::vector<std::string> events;
  std::uint64_t expected_seq = 0;
  for (const auto& hook : hooks_of(receiver, room)) {
    EXPECT_EQ(signature_problem(hook.signature, hook.body, kSecret), "");
    const std::uint64_t seq = hook.json["seq"];
    if (hook.json["event"] == "room-started") expected_seq = 0;
    EXPECT_EQ(seq, ++expected_seq) << hook.body;
    std::string text = hook.json["event"];
    if (hook.json.contains("reason")) text += ":" + hook.json["reason"].get<std::string>();
    events.push_back(text);
  }
  return events;
}

bool await_events(WebhookReceiver& receiver, const std::string& room, std::size_t count) {
  return receiver.await([&](const std::vector<ReceivedHook>& all) {
    std::size_t n = 0;
    for (const auto& hook : all)
      n += hook.answered / 100 == 2 && hook.json.is_object() && hook.json["room"] == room;
    return n >= count;
  });
}

json join_with_meta(WsClient& client, const std::string& room, const json& meta) {
  client.send({{"type", "join"}, {"room", room}, {"meta", meta}});
  return client.recv_type("joined");
}

TEST(WebhooksDaemon, EveryEventCarriesEveryFieldSigned) {
  WebhookReceiver receiver;
  const std::string url = receiver.url("/hooks/parley?key=1");
  auto daemon = start_daemon({url});
  const std::int64_t before = unix_ms();
  const json ann = {{"name", "Ann"}};
  auto a = connect_peer(daemon.port());
  auto b = connect_peer(daemon.port());
  join_with_meta(*a, "story", ann);
  b->join("story");
  a->recv_type("peer-joined");
  b->send({{"type", "update-meta"}, {"meta", {{"name", "Bob"}}}});
  b->recv_type("meta-updated");
  b->send({{"type", "leave"}});
  b->recv_type("left");
  a->recv_type("peer-left");
  a->close();
  ASSERT_TRUE(await_events(receiver, "story", 7));
  const std::int64_t after = unix_ms();

  EXPECT_EQ(events_of(receiver, "story"),
            (std::vector<std::string>{"room-started", "peer-joined", "peer-joined", "peer-updated",
                                      "peer-left:leave", "peer-left:disconnect", "room-finished"}));
  const auto hooks = hooks_of(receiver, "story");
  ASSERT_EQ(hooks.size(), 7u);
  std::set<std::string> ids;
  for (const auto& hook : hooks) {
    EXPECT_EQ(hook.method, "POST");
    EXPECT_EQ(hook.target, "/hooks/parley?key=1");
    EXPECT_EQ(hook.content_type, "application/json");
    const auto& body = hook.json;
    ASSERT_TRUE(body["id"].is_string()) << hook.body;
    ids.insert(body["id"].get<std::string>());
    EXPECT_EQ(body["room"], "story");
    ASSERT_TRUE(body["at"].is_number_integer()) << hook.body;
    EXPECT_GE(body["at"].get<std::int64_t>(), before);
    EXPECT_LE(body["at"].get<std::int64_t>(), after);
    // t of the signature is the attempt's Unix second.
    const auto t = std::stoll(hook.signature.substr(2, hook.signature.find(',') - 2));
    EXPECT_GE(t, before / 1000);
    EXPECT_LE(t, after / 1000 + 1);
  }
  EXPECT_EQ(ids.size(), 7u) << "every event has its own id";

  // Exactly the contract's fields, event by event.
  const auto fields = [](const json& body) {
    std::set<std::string> names;
    for (const auto& [name, value] : body.items()) names.insert(name);
    return names;
  };
  const std::set<std::string> room_fields{"id", "event", "room", "seq", "at"};
  std::set<std::string> peer_fields = room_fields;
  peer_fields.insert({"peer", "meta"});
  std::set<std::string> left_fields = peer_fields;
  left_fields.insert("reason");
  EXPECT_EQ(fields(hooks[0].json), room_fields);
  EXPECT_EQ(fields(hooks[6].json), room_fields);
  for (int i : {1, 2, 3}) EXPECT_EQ(fields(hooks[i].json), peer_fields) << hooks[i].body;
  for (int i : {4, 5}) EXPECT_EQ(fields(hooks[i].json), left_fields) << hooks[i].body;

  EXPECT_EQ(hooks[1].json["peer"], a->id());
  EXPECT_EQ(hooks[1].json["meta"], ann);
  EXPECT_EQ(hooks[2].json["peer"], b->id());
  EXPECT_EQ(hooks[2].json["meta"], json::object());
  EXPECT_EQ(hooks[3].json["peer"], b->id());
  EXPECT_EQ(hooks[3].json["meta"], json({{"name", "Bob"}}));
  EXPECT_EQ(hooks[4].json["peer"], b->id());
  EXPECT_EQ(hooks[4].json["meta"], json({{"name", "Bob"}})) << "peer-left carries the seat's meta";
  EXPECT_EQ(hooks[5].json["peer"], a->id());
  EXPECT_EQ(hooks[5].json["meta"], ann);

  // The counters move once the dispatcher has read each answer.
  EXPECT_TRUE(TestServer::eventually([&] {
    return metric_value(daemon.admin_port(), "parley_webhook_deliveries_total{result=\"ok\"}") ==
               7 &&
           metric_value(daemon.admin_port(), "parley_webhook_queue") == 0;
  }));
}

TEST(WebhooksDaemon, KicksAreReportedAsKicked) {
  WebhookReceiver receiver;
  auto daemon = start_daemon({receiver.url()});
  auto a = connect_peer(daemon.port());
  auto b = connect_peer(daemon.port());
  auto c = connect_peer(daemon.port());
  a->join("k");
  b->join("k");
  c->join("k");
  EXPECT_EQ(
      http_request(daemon.admin_port(), http::verb::delete_, "/admin/peers/" + c->id(), {kAuth})
          .status,
      200u);
  EXPECT_EQ(
      http_request(daemon.admin_port(), http::verb::delete_, "/admin/rooms/k", {kAuth}).status,
      200u);
  ASSERT_TRUE(await_events(receiver, "k", 8));
  EXPECT_EQ(events_of(receiver, "k"),
            (std::vector<std::string>{"room-started", "peer-joined", "peer-joined", "peer-joined",
                                      "peer-left:kicked", "peer-left:kicked", "peer-left:kicked",
                                      "room-finished"}));
  EXPECT_EQ(hooks_of(receiver, "k")[4].json["peer"], c->id());
}

TEST(WebhooksDaemon, ALostPeerThatResumesEmitsNothing) {
  WebhookReceiver receiver;
  auto daemon = start_daemon({receiver.url()});
  auto a = connect_peer(daemon.port());
  auto b = connect_peer(daemon.port());
  a->join("r");
  b->join("r");
  a->recv_type("peer-joined");
  const std::string token = b->resume_token();
  b->drop();
  auto b2 = std::make_unique<WsClient>(daemon.port());
  b2->read_welcome();
  b2->send({{"type", "resume"}, {"token", token}});
  ASSERT_EQ(b2->recv_type("resumed")["id"], b->id());
  b2->send({{"type", "leave"}});
  a->recv_type("peer-left");
  ASSERT_TRUE(await_events(receiver, "r", 4));
  // No peer-left for the lost connection and no peer-joined for the resume:
  // the leave follows the joins directly (events_of checks that seq has no gap).
  EXPECT_EQ(events_of(receiver, "r"), (std::vector<std::string>{"room-started", "peer-joined",
                                                                "peer-joined", "peer-left:leave"}));
  EXPECT_EQ(hooks_of(receiver, "r")[3].json["peer"], b->id());
}

TEST(WebhooksDaemon, ALostPeerThatDoesNotResumeTimesOut) {
  WebhookReceiver receiver;
  auto daemon = start_daemon({receiver.url()}, {{"PARLEY_RESUME_GRACE", "0.3"}});
  auto a = connect_peer(daemon.port());
  auto b = connect_peer(daemon.port());
  a->join("t");
  b->join("t");
  a->recv_type("peer-joined");
  b->drop();
  EXPECT_EQ(a->recv_type("peer-left")["reason"], "timeout");
  a->close();
  ASSERT_TRUE(await_events(receiver, "t", 6));
  EXPECT_EQ(
      events_of(receiver, "t"),
      (std::vector<std::string>{"room-started", "peer-joined", "peer-joined", "peer-left:timeout",
                                "peer-left:disconnect", "room-finished"}));
  EXPECT_EQ(hooks_of(receiver, "t")[3].json["peer"], b->id());
}

TEST(WebhooksDaemon, AReceiverThatFailsThenRecoversGetsEverythingInOrder) {
  WebhookReceiver receiver;
  // The first two attempts fail (an error status, then a refused answer of
  // another kind); every later one succeeds.
  int failures_left = 2;
  receiver.set_behaviour([&](const ReceivedHook&) -> unsigned {
    if (failures_left > 0) return failures_left-- == 2 ? 503 : 404;
    return 204;
  });
  auto daemon = start_daemon({receiver.url()});
  auto a = connect_peer(daemon.port());
  auto b = connect_peer(daemon.port());
  a->join("flaky");
  b->join("flaky");
  b->close();
  a->close();
  ASSERT_TRUE(await_events(receiver, "flaky", 6));
  EXPECT_EQ(
      events_of(receiver, "flaky"),
      (std::vector<std::string>{"room-started", "peer-joined", "peer-joined",
                                "peer-left:disconnect", "peer-left:disconnect", "room-finished"}));
  const auto all = receiver.requests();
  ASSERT_GE(all.size(), 8u);
  // The first event was tried until it went through, before anything else.
  EXPECT_EQ(all[0].json["seq"], 1);
  EXPECT_EQ(all[1].json["id"], all[0].json["id"]) << "a retry sends the same event";
  EXPECT_EQ(all[2].json["id"], all[0].json["id"]);
  EXPECT_EQ(all[2].answered, 204u);
  EXPECT_TRUE(TestServer::eventually([&] {
    return metric_value(daemon.admin_port(), "parley_webhook_deliveries_total{result=\"ok\"}") == 6;
  }));
  EXPECT_EQ(metric_value(daemon.admin_port(), "parley_webhook_deliveries_total{result=\"retry\"}"),
            2);
  EXPECT_EQ(
      metric_value(daemon.admin_port(), "parley_webhook_deliveries_total{result=\"dropped\"}"), 0);
}

TEST(WebhooksDaemon, AHangingReceiverHoldsBackOnlyItsRoomAndNeverTheRelay) {
  WebhookReceiver receiver;
  receiver.set_behaviour([](const ReceivedHook& hook) -> unsigned {
    return hook.json.is_object() && hook.json["room"] == "stuck" ? 0 : 200;
  });
  // A long timeout: the stuck room's first attempt hangs for the whole test.
  auto daemon = start_daemon({receiver.url()}, {{"PARLEY_WEBHOOKS_TIMEOUT", "300"}});
  auto a = connect_peer(daemon.port());
  auto b = connect_peer(daemon.port());
  a->join("stuck");
  ASSERT_TRUE(receiver.await([](const auto& all) { return all.size() == 1; }));
  b->join("stuck");
  a->recv_type("peer-joined");
  // The relay goes on while the room's webhook hangs.
  for (int i = 0; i < 20; ++i) a->send(message_with_seq(i));
  for (int i = 0; i < 20; ++i) EXPECT_EQ(b->recv_type("message")["data"]["seq"], i);

  // Other rooms' events arrive, in order.
  auto c = connect_peer(daemon.port());
  c->join("free");
  c->send({{"type", "leave"}});
  c->recv_type("left");
  ASSERT_TRUE(await_events(receiver, "free", 4));
  EXPECT_EQ(events_of(receiver, "free"),
            (std::vector<std::string>{"room-started", "peer-joined", "peer-left:leave",
                                      "room-finished"}));
  // The stuck room's later events were never sent: its first has no answer.
  std::size_t stuck = 0;
  for (const auto& hook : receiver.requests()) stuck += hook.json["room"] == "stuck";
  EXPECT_EQ(stuck, 1u);
  // Three events of the stuck room wait (the first in flight); the free
  // room's left the queue once answered.
  EXPECT_TRUE(TestServer::eventually(
      [&] { return metric_value(daemon.admin_port(), "parley_webhook_queue") == 3; }));
}

TEST(WebhooksDaemon, AFullQueueDropsTheNewestAndCountsThem) {
  WebhookReceiver receiver;
  receiver.set_behaviour([](const ReceivedHook&) -> unsigned { return 0; });  // nothing finishes
  auto daemon = start_daemon(
      {receiver.url()}, {{"PARLEY_WEBHOOKS_TIMEOUT", "300"}, {"PARLEY_WEBHOOKS_MAX_QUEUE", "2"}});
  auto a = connect_peer(daemon.port());
  auto b = connect_peer(daemon.port());
  a->join("full");  // room-started and peer-joined fill the queue
  b->join("full");  // this peer-joined finds it full
  settle(*b);
  const auto admin = daemon.admin_port();
  EXPECT_EQ(metric_value(admin, "parley_webhook_overflow_total"), 1);
  EXPECT_EQ(metric_value(admin, "parley_webhook_deliveries_total{result=\"dropped\"}"), 1);
  EXPECT_EQ(metric_value(admin, "parley_webhook_queue"), 2);
  // The oldest were kept: the first event is the one being attempted.
  ASSERT_TRUE(receiver.await([](const auto& all) { return all.size() == 1; }));
  EXPECT_EQ(receiver.requests()[0].json["event"], "room-started");
  EXPECT_NE(daemon.log().find("webhooks: the queue is full"), std::string::npos) << daemon.log();
}

TEST(WebhooksDaemon, HttpsReceiverVerifiedAgainstTheCaStore) {
  TestCertificates certificates;
  WebhookReceiver receiver(certificates.server_context());
  // The daemon reads the system's CA store; OpenSSL's SSL_CERT_FILE points it
  // at the test CA.
  auto daemon =
      start_daemon({receiver.url("/hook", "127.0.0.1"), receiver.url("/named", "localhost")},
                   {{"SSL_CERT_FILE", certificates.ca_file()}});
  auto a = connect_peer(daemon.port());
  a->join("secure");
  ASSERT_TRUE(receiver.await_delivered(4)) << daemon.log();
  std::set<std::string> targets;
  for (const auto& hook : receiver.delivered()) {
    targets.insert(hook.target);
    EXPECT_EQ(signature_problem(hook.signature, hook.body, kSecret), "");
  }
  EXPECT_EQ(targets, (std::set<std::string>{"/hook", "/named"}));
}

TEST(WebhooksDaemon, AnUntrustedHttpsReceiverGetsNothing) {
  TestCertificates certificates;
  WebhookReceiver receiver(certificates.untrusted_context());
  auto daemon = start_daemon({receiver.url()}, {{"SSL_CERT_FILE", certificates.ca_file()}});
  auto a = connect_peer(daemon.port());
  a->join("insecure");
  EXPECT_TRUE(TestServer::eventually(
      [&] {
        return metric_value(daemon.admin_port(),
                            "parley_webhook_deliveries_total{result=\"retry\"}") >= 1;
      },
      20s));
  EXPECT_GE(receiver.connections(), 1u);
  EXPECT_TRUE(receiver.requests().empty());
}

TEST(WebhooksDaemon, CheckConfigNamesWebhookProblems) {
  const auto bad_url = write_temp_file(
      R"({"webhooks": {"urls": ["http://127.0.0.1:1/hook", "ftp://x/"], "secret": "s"}})");
  auto [status, out] = run_parleyd({"--config", bad_url, "--check-config"});
  EXPECT_EQ(status, 1);
  EXPECT_NE(out.find("webhooks.urls[1]: expected an http:// or https:// URL"), std::string::npos)
      << out;
  const auto no_secret = write_temp_file(R"({"webhooks": {"urls": ["http://127.0.0.1:1/"]}})");
  std::tie(status, out) = run_parleyd({"--config", no_secret, "--check-config"});
  EXPECT_EQ(status, 1);
  EXPECT_NE(out.find("webhooks.secret: must be set when webhooks.urls is not empty"),
            std::string::npos)
      << out;
  const auto good = write_temp_file(
      R"({"webhooks": {"urls": ["https://app.example/parley?k=1"], "secret": "s",
                       "timeout": 2.5, "max_queue": 100}})");
  std::tie(status, out) = run_parleyd({"--config", good, "--check-config"});
  EXPECT_EQ(status, 0) << out;
}

TEST(WebhooksDaemon, SighupReloadsUrlsAndSecret) {
  WebhookReceiver first, second;
  const auto config_with = [](const std::string& url, const std::string& secret) {
    return json{{"listen", {{"address", "127.0.0.1"}, {"port", 0}}},
                {"admin", {{"port", 0}}},
                {"static_dir", ""},
                {"webhooks", {{"urls", json::array({url})}, {"secret", secret}}}}
        .dump();
  };
  const std::string path = write_temp_file(config_with(first.url(), kSecret));
  DaemonProcess daemon({"--config", path});
  auto a = connect_peer(daemon.port());
  a->join("reloaded");
  ASSERT_TRUE(await_events(first, "reloaded", 2));

  std::ofstream(path) << config_with(second.url(), "rotated-secret");
  daemon.signal(SIGHUP);
  ASSERT_TRUE(TestServer::eventually(
      [&] { return daemon.log().find("configuration reloaded") != std::string::npos; }));
  a->send({{"type", "leave"}});
  a->recv_type("left");
  ASSERT_TRUE(await_events(second, "reloaded", 2));
  const auto hooks = hooks_of(second, "reloaded");
  EXPECT_EQ(hooks[0].json["event"], "peer-left");
  EXPECT_EQ(hooks[0].json["seq"], 3) << "the room's seq goes on across a reload";
  EXPECT_EQ(hooks[1].json["event"], "room-finished");
  for (const auto& hook : hooks)
    EXPECT_EQ(signature_problem(hook.signature, hook.body, "rotated-secret"), "");
  EXPECT_EQ(first.requests().size(), 2u);
}

}  // namespace
}  // namespace parley::test
