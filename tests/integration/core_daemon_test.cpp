// The parleyd binary itself: command line, configuration errors, the port-0
// log line, and the SIGTERM drain (1001 to every session, exit 0).
#include <gtest/gtest.h>

#include <signal.h>

#include "harness.hpp"

namespace parley::test {
namespace {

const std::vector<std::string> kLoopback{"--address", "127.0.0.1", "--port", "0"};
const std::vector<std::pair<std::string, std::string>> kQuietAdmin{{"PARLEY_ADMIN_PORT", "0"},
                                                                   {"PARLEY_STATIC_DIR", ""}};

TEST(Daemon, VersionAndHelpGoToStdoutAndExitZero) {
  auto [status, out] = run_parleyd({"--version"});
  EXPECT_EQ(status, 0);
  EXPECT_NE(out.find("parleyd"), std::string::npos);
  auto [help_status, help] = run_parleyd({"--help"});
  EXPECT_EQ(help_status, 0);
  EXPECT_NE(help.find("--config"), std::string::npos);
  EXPECT_NE(help.find("--check-config"), std::string::npos);
}

TEST(Daemon, CheckConfigNamesTheBadKeyAndExitsOne) {
  const auto bad = write_temp_file(R"({
    // a comment is fine
    "listen": {"port": 70000},
    "limits": {"max_peers_per_room": -1, "no_such_key": 1}
  })");
  auto [status, out] = run_parleyd({"--config", bad, "--check-config"});
  EXPECT_EQ(status, 1);
  EXPECT_NE(out.find("listen.port"), std::string::npos) << out;
  EXPECT_NE(out.find("limits.max_peers_per_room"), std::string::npos) << out;
  EXPECT_NE(out.find("limits.no_such_key"), std::string::npos) << out;

  const auto good = write_temp_file(R"({"listen": {"port": 9000}, "threads": 1})");
  auto [ok_status, ok_out] = run_parleyd({"--config", good, "--check-config"});
  EXPECT_EQ(ok_status, 0) << ok_out;
}

TEST(Daemon, EnvironmentErrorsStopTheStart) {
  auto [status, out] = run_parleyd({}, {{"PARLEY_LIMITS_MAX_PEERS_PER_ROOM", "many"}});
  EXPECT_EQ(status, 1);
  EXPECT_NE(out.find("limits.max_peers_per_room"), std::string::npos) << out;
}

// A port held by another process: the error names the key and how to change it.
TEST(Daemon, BindErrorsNameTheKeyAndHowToChangeIt) {
  DaemonProcess first(kLoopback, kQuietAdmin);
  const std::string taken = std::to_string(first.port());
  auto [status, out] = run_parleyd({"--address", "127.0.0.1", "--port", taken}, kQuietAdmin);
  EXPECT_EQ(status, 1) << out;
  EXPECT_NE(out.find("listen.address / listen.port: cannot listen on 127.0.0.1:" + taken),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("another process is using the port"), std::string::npos) << out;
  EXPECT_NE(out.find("PARLEY_LISTEN_PORT"), std::string::npos) << out;

  const std::string admin_taken = std::to_string(first.admin_port());
  auto [admin_status, admin_out] =
      run_parleyd(kLoopback, {{"PARLEY_ADMIN_PORT", admin_taken}, {"PARLEY_STATIC_DIR", ""}});
  EXPECT_EQ(admin_status, 1) << admin_out;
  EXPECT_NE(admin_out.find("admin.address / admin.port: cannot listen on 127.0.0.1:" + admin_taken),
            std::string::npos)
      << admin_out;
  EXPECT_NE(admin_out.find("PARLEY_ADMIN_PORT"), std::string::npos) << admin_out;
}

// Other tools share the prefix (PARLEY_SKIP_DOCKER of scripts/test, PARLEY_CONFIG_FILE
// of the container's entrypoint): an unknown variable is a warning naming it.
TEST(Daemon, UnknownVariablesAreWarnedAboutAndTheDaemonStarts) {
  auto [status, out] = run_parleyd({"--check-config"}, {{"PARLEY_NOPE", "1"}});
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("warning: PARLEY_NOPE"), std::string::npos) << out;

  // A typo is warned about; the variables of the project's own tools are not.
  DaemonProcess daemon(kLoopback, {{"PARLEY_ADMIN_PORT", "0"},
                                   {"PARLEY_STATIC_DIR", ""},
                                   {"PARLEY_LIMITS_MAX_PEERS_PER_RUM", "3"},
                                   {"PARLEY_SKIP_DOCKER", "1"},
                                   {"PARLEY_CONFIG_FILE", "/etc/parley/parley.json"}});
  auto client = connect_peer(daemon.port());
  EXPECT_EQ(client->join("warned")["type"], "joined");
  const std::string log = daemon.log();
  EXPECT_NE(log.find("PARLEY_LIMITS_MAX_PEERS_PER_RUM: unknown variable"), std::string::npos)
      << log;
  EXPECT_EQ(log.find("PARLEY_SKIP_DOCKER"), std::string::npos) << log;
  EXPECT_EQ(log.find("PARLEY_CONFIG_FILE"), std::string::npos) << log;
}

TEST(Daemon, EnvironmentConfiguresAndCommandLineWins) {
  DaemonProcess daemon(kLoopback, {{"PARLEY_ADMIN_PORT", "0"},
                                   {"PARLEY_STATIC_DIR", ""},
                                   {"PARLEY_LIMITS_MAX_PEERS_PER_ROOM", "3"},
                                   {"PARLEY_LISTEN_PORT", "1"}});  // --port 0 wins
  std::vector<std::unique_ptr<WsClient>> peers;
  for (int i = 0; i < 3; ++i) {
    peers.push_back(connect_peer(daemon.port()));
    EXPECT_EQ(peers.back()->join("three")["type"], "joined");
  }
  auto fourth = connect_peer(daemon.port());
  fourth->send({{"type", "join"}, {"room", "three"}});
  EXPECT_EQ(fourth->recv()["type"], "full");
}

TEST(Daemon, SigtermClosesEverySessionWith1001AndExitsZero) {
  DaemonProcess daemon(kLoopback, kQuietAdmin);
  EXPECT_NE(daemon.log().find("listening on 127.0.0.1:" + std::to_string(daemon.port())),
            std::string::npos);
  auto a = connect_peer(daemon.port());
  auto b = connect_peer(daemon.port());
  a->join("drain");
  b->join("drain");
  // A client that never answers the close handshake must not hold the exit.
  RawClient silent(daemon.port());
  silent.upgrade();
  daemon.signal(SIGTERM);
  EXPECT_EQ(a->expect_close(), 1001u);
  EXPECT_EQ(b->expect_close(), 1001u);
  EXPECT_EQ(daemon.wait_exit(5s), 0) << daemon.log();
}

TEST(Daemon, ReadyzTurns503WhileDraining) {
  DaemonProcess daemon(kLoopback, kQuietAdmin);
  RawClient silent(daemon.port());
  silent.upgrade();  // keeps the drain busy for a moment (no close answer)
  EXPECT_EQ(http_get(daemon.port(), "/readyz").status, 200u);
  daemon.signal(SIGINT);
  // New connections are refused or answered 503 until the process exits.
  bool refused = false;
  for (int i = 0; i < 200 && !refused; ++i) {
    try {
      refused = http_get(daemon.port(), "/readyz").status == 503u;
    } catch (const std::exception&) {
      refused = true;  // the listener is already closed
    }
  }
  EXPECT_TRUE(refused);
  EXPECT_EQ(daemon.wait_exit(5s), 0);
}

}  // namespace
}  // namespace parley::test
