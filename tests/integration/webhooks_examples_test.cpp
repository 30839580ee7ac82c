// The example receivers of docs/webhooks.md (examples/webhooks/receiver.mjs and
// receiver.py) run against parley's own signed deliveries: they accept them and
// print each event once, and refuse forged, tampered and stale requests.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>
#include <boost/asio/executor_work_guard.hpp>

#include "harness.hpp"
#include "webhooks/webhook_dispatcher.hpp"
#include "webhooks/webhook_signature.hpp"

namespace parley::test {
namespace {

namespace net = boost::asio;
namespace http = boost::beast::http;

constexpr char kSecret[] = "example-receiver-secret";

// A child process whose standard output is read line by line.
class Child {
 public:
  explicit Child(const std::vector<std::string>& argv,
                 const std::vector<std::pair<std::string, std::string>>& env) {
    int out[2];
    if (::pipe(out) != 0) throw std::runtime_error("pipe failed");
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], 1);
      ::close(out[0]);
      ::close(out[1]);
      for (const auto& [name, value] : env) ::setenv(name.c_str(), value.c_str(), 1);
      std::vector<char*> args;
      for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
      args.push_back(nullptr);
      ::execvp(args[0], args.data());
      ::_exit(127);
    }
    ::close(out[1]);
    fd_ = out[0];
  }
  ~Child() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    ::close(fd_);
  }

  // The next line of standard output; throws after `timeout` or at EOF.
  std::string line(std::chrono::milliseconds timeout = 20s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      if (const auto end = buffer_.find('\n'); end != std::string::npos) {
        std::string text = buffer_.substr(0, end);
        buffer_.erase(0, end + 1);
        return text;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) throw std::runtime_error("no line from the receiver in time");
      pollfd poll_fd{fd_, POLLIN, 0};
      if (::poll(&poll_fd, 1, static_cast<int>(left.count())) <= 0) continue;
      char chunk[4096];
      const auto n = ::read(fd_, chunk, sizeof chunk);
      if (n <= 0) throw std::runtime_error("the receiver exited");
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  std::string buffer_;
};

std::string interpreter(const std::string& debian_path, const std::string& name) {
  return std::filesystem::exists(debian_path) ? debian_path : name;
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void check_receiver(const std::vector<std::string>& argv) {
  Child receiver(argv, {{"PARLEY_WEBHOOKS_SECRET", kSecret}, {"PORT", "0"}, {"HOST", "127.0.0.1"}});
  const std::string listening = receiver.line();
  ASSERT_EQ(listening.rfind("listening on 127.0.0.1:", 0), 0u) << listening;
  const auto port =
      static_cast<std::uint16_t>(std::stoi(listening.substr(listening.rfind(':') + 1)));

  // parley's own deliveries: accepted, printed once each, in order.
  SystemClock clock;
  WebhookStats stats;
  net::io_context ioc;
  auto guard = net::make_work_guard(ioc);
  std::thread thread;
  {
    WebhookSettings settings;
    settings.urls = {"http://127.0.0.1:" + std::to_string(port) + "/parley"};
    settings.secret = kSecret;
    WebhookDispatcher dispatcher(ioc, clock, stats, settings);
    thread = std::thread([&] { ioc.run(); });
    dispatcher.publish(WebhookEvent::room_started("demo"));
    dispatcher.publish(WebhookEvent::peer_joined("demo", "peer-1"));
    const auto first = json::parse(receiver.line());
    const auto second = json::parse(receiver.line());
    EXPECT_EQ(first["event"], "room-started");
    EXPECT_EQ(first["seq"], 1);
    EXPECT_EQ(second["event"], "peer-joined");
    EXPECT_EQ(second["peer"], "peer-1");
    EXPECT_EQ(second["seq"], 2);
    EXPECT_TRUE(TestServer::eventually([&] { return stats.ok.load() == 2; }));
    EXPECT_EQ(stats.retry.load(), 0u);
  }
  guard.reset();
  ioc.stop();
  thread.join();

  // Forged, tampered and stale requests: 401, and nothing printed.
  const std::string body = R"({"id":"x1","event":"room-started","room":"r","seq":1,"at":1})";
  const auto post = [&](const std::string& signature, const std::string& sent_body) {
    return http_request(port, http::verb::post, "/parley",
                        {{"Content-Type", "application/json"}, {"Parley-Signature", signature}},
                        sent_body)
        .status;
  };
  const auto now = unix_now();
  EXPECT_EQ(post(*webhook_signature("wrong secret", now, body), body), 401u);
  EXPECT_EQ(post(*webhook_signature(kSecret, now, body), body + " "), 401u);
  EXPECT_EQ(post(*webhook_signature(kSecret, now - 3600, body), body), 401u);
  EXPECT_EQ(post("v1=abc", body), 401u);
  // The same delivery twice: accepted twice, printed once.
  EXPECT_EQ(post(*webhook_signature(kSecret, now, body), body), 204u);
  EXPECT_EQ(post(*webhook_signature(kSecret, now, body), body), 204u);
  const std::string other = R"({"id":"x2","event":"room-finished","room":"r","seq":2,"at":2})";
  EXPECT_EQ(post(*webhook_signature(kSecret, now, other), other), 204u);
  EXPECT_EQ(json::parse(receiver.line())["id"], "x1");
  EXPECT_EQ(json::parse(receiver.line())["id"], "x2") << "x1 was printed twice";
}

const std::string kExamples = std::string(PARLEY_SOURCE_DIR) + "/examples/webhooks/";

TEST(WebhookExamples, NodeReceiverVerifiesParleysSignature) {
  check_receiver({interpreter("/usr/bin/node", "node"), kExamples + "receiver.mjs"});
}

TEST(WebhookExamples, PythonReceiverVerifiesParleysSignature) {
  check_receiver({interpreter("/usr/bin/python3", "python3"), kExamples + "receiver.py"});
}

}  // namespace
}  // namespace parley::test
