// ServiceNotifier against a real notification socket: a unix datagram socket
// bound in a temporary directory stands in for systemd, and each test checks
// the exact datagrams that arrive.
#include "ops/service_notifier.hpp"

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <regex>
#include <string>

#include <gtest/gtest.h>

namespace {

// Sets an environment variable for one test and restores what was there.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_.c_str(), old_->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

std::uint64_t monotonic_now_usec() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::uint64_t>(now.tv_sec) * 1000000u +
         static_cast<std::uint64_t>(now.tv_nsec) / 1000u;
}

// The service manager's end: a bound AF_UNIX datagram socket in a fresh
// temporary directory, named by NOTIFY_SOCKET while the fixture lives.
class ServiceNotifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "parley-notify.XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr) << std::strerror(errno);
    dir_ = pattern;
    path_ = (dir_ / "notify.sock").string();

    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd_, 0) << std::strerror(errno);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    ASSERT_LT(path_.size(), sizeof(address.sun_path));
    std::memcpy(address.sun_path, path_.c_str(), path_.size() + 1);
    ASSERT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0)
        << std::strerror(errno);
    // A bound on the wait, so that a missing datagram fails the test instead of
    // hanging it; a datagram that was sent is already queued when send returns.
    timeval limit{.tv_sec = 5, .tv_usec = 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));

    notify_socket_.emplace("NOTIFY_SOCKET", path_.c_str());
    watchdog_usec_.emplace("WATCHDOG_USEC", nullptr);
    watchdog_pid_.emplace("WATCHDOG_PID", nullptr);
  }

  void TearDown() override {
    watchdog_pid_.reset();
    watchdog_usec_.reset();
    notify_socket_.reset();
    if (fd_ >= 0) ::close(fd_);
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  // The next datagram, or "" when none came.
  std::string receive() {
    char buffer[4096];
    const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
    return n < 0 ? std::string() : std::string(buffer, static_cast<std::size_t>(n));
  }

  // True when no datagram is waiting.
  bool nothing_queued() {
    char byte;
    return ::recv(fd_, &byte, 1, MSG_DONTWAIT) < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }

  std::filesystem::path dir_;
  std::string path_;
  int fd_ = -1;
  std::optional<ScopedEnv> notify_socket_;
  std::optional<ScopedEnv> watchdog_usec_;
  std::optional<ScopedEnv> watchdog_pid_;
};

TEST_F(ServiceNotifierTest, SendsEachStateAsOneExactDatagram) {
  parley::ServiceNotifier notifier;
  EXPECT_TRUE(notifier.enabled());

  notifier.ready();
  EXPECT_EQ(receive(), "READY=1");
  notifier.stopping();
  EXPECT_EQ(receive(), "STOPPING=1");
  notifier.watchdog();
  EXPECT_EQ(receive(), "WATCHDOG=1");
  notifier.status("serving 3 rooms");
  EXPECT_EQ(receive(), "STATUS=serving 3 rooms");
  EXPECT_TRUE(nothing_queued());
}

TEST_F(ServiceNotifierTest, ReloadingCarriesTheMonotonicClockInTheSameDatagram) {
  parley::ServiceNotifier notifier;
  const std::uint64_t before = monotonic_now_usec();
  notifier.reloading();
  const std::uint64_t after = monotonic_now_usec();

  const std::string message = receive();
  std::smatch match;
  ASSERT_TRUE(std::regex_match(message, match, std::regex("RELOADING=1\nMONOTONIC_USEC=([0-9]+)")))
      << message;
  const std::uint64_t stamp = std::stoull(match[1].str());
  EXPECT_GE(stamp, before);
  EXPECT_LE(stamp, after);

  // The reload cycle as the daemon runs it: RELOADING, then READY again.
  notifier.ready();
  EXPECT_EQ(receive(), "READY=1");
}

TEST_F(ServiceNotifierTest, StatusKeepsToOneLine) {
  parley::ServiceNotifier notifier;
  notifier.status("line one\nline two\r\n");
  EXPECT_EQ(receive(), "STATUS=line one line two  ");
}

TEST_F(ServiceNotifierTest, LeavesTheEnvironmentForLaterInstances) {
  {
    parley::ServiceNotifier first;
    first.ready();
    EXPECT_EQ(receive(), "READY=1");
  }
  ASSERT_NE(std::getenv("NOTIFY_SOCKET"), nullptr);
  EXPECT_EQ(std::string(std::getenv("NOTIFY_SOCKET")), path_);
  parley::ServiceNotifier second;
  second.stopping();
  EXPECT_EQ(receive(), "STOPPING=1");
}

TEST_F(ServiceNotifierTest, WatchdogIntervalIsHalfOfWatchdogUsec) {
  ScopedEnv usec("WATCHDOG_USEC", "3000000");
  ScopedEnv pid("WATCHDOG_PID", std::to_string(::getpid()).c_str());
  parley::ServiceNotifier notifier;
  ASSERT_TRUE(notifier.watchdog_interval().has_value());
  EXPECT_EQ(*notifier.watchdog_interval(), std::chrono::microseconds(1500000));
  EXPECT_NE(std::getenv("WATCHDOG_USEC"), nullptr);
}

TEST_F(ServiceNotifierTest, NoWatchdogIntervalWithoutWatchdogUsec) {
  parley::ServiceNotifier notifier;
  EXPECT_FALSE(notifier.watchdog_interval().has_value());
}

TEST_F(ServiceNotifierTest, WatchdogMeantForAnotherProcessIsIgnored) {
  ScopedEnv usec("WATCHDOG_USEC", "3000000");
  ScopedEnv pid("WATCHDOG_PID", std::to_string(::getpid() + 1).c_str());
  parley::ServiceNotifier notifier;
  EXPECT_FALSE(notifier.watchdog_interval().has_value());
}

TEST_F(ServiceNotifierTest, WithoutNotifySocketEveryCallDoesNothing) {
  ScopedEnv unset("NOTIFY_SOCKET", nullptr);
  parley::ServiceNotifier notifier;
  EXPECT_FALSE(notifier.enabled());
  EXPECT_FALSE(notifier.watchdog_interval().has_value());
  notifier.ready();
  notifier.reloading();
  notifier.stopping();
  notifier.watchdog();
  notifier.status("nobody listens");
  EXPECT_TRUE(nothing_queued());
}

}  // namespace
