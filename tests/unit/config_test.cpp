// Configuration loading: defaults, the file, the environment, the command line,
// their precedence, and the messages of every kind of mistake.
#include "config/config.hpp"

#include <unistd.h>
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace parley {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using Environment = std::map<std::string, std::string>;

#ifdef PARLEY_SOURCE_DIR
const std::filesystem::path kSourceDir = PARLEY_SOURCE_DIR;
#else
// tests/unit/config_test.cpp -> the source tree's root.
const std::filesystem::path kSourceDir =
    std::filesystem::path(__FILE__).parent_path().parent_path().parent_path();
#endif

// A configuration file in the temporary directory, removed again afterwards.
class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    // Parameterized tests are named "Case/3": keep the name to a file name.
    std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::replace(test.begin(), test.end(), '/', '_');
    path_ = std::filesystem::temp_directory_path() /
            ("parley-config-test-" + std::to_string(::getpid()) + "-" + test + "-" +
             std::to_string(counter_++) + ".json");
    std::ofstream(path_, std::ios::binary) << text;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  std::string path() const { return path_.string(); }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

// The problems load_config reports (an empty list when it succeeds).
std::vector<std::string> problems_of(const std::string& file, const Environment& environment,
                                     const CommandLineOverrides& cli = {}) {
  try {
    load_config(file, environment, cli);
  } catch (const ConfigError& error) {
    return error.problems();
  }
  return {};
}

std::vector<std::string> file_problems(const std::string& text) {
  TempFile file(text);
  return problems_of(file.path(), {});
}

std::vector<std::string> environment_problems(const Environment& environment) {
  return problems_of("", environment);
}

Config load_text(const std::string& text, const Environment& environment = {},
                 const CommandLineOverrides& cli = {}) {
  TempFile file(text);
  return load_config(file.path(), environment, cli);
}

TEST(ConfigDefaults, MatchTheContract) {
  const Config config = load_config("", {});
  EXPECT_EQ(config, Config{});
  EXPECT_EQ(config.listen.address, "0.0.0.0");
  EXPECT_EQ(config.listen.port, 8080);
  EXPECT_EQ(config.tls.cert, "");
  EXPECT_EQ(config.tls.key, "");
  EXPECT_FALSE(config.tls.enabled());
  EXPECT_EQ(config.admin.address, "127.0.0.1");
  EXPECT_EQ(config.admin.port, 9091);
  EXPECT_EQ(config.admin.token, "");
  EXPECT_EQ(config.threads, 0u);
  EXPECT_EQ(config.static_dir, "web");
  EXPECT_THAT(config.allowed_origins, ElementsAre("*"));
  EXPECT_EQ(config.limits.max_message_bytes, 65536u);
  EXPECT_EQ(config.limits.max_peers_per_room, 2u);
  EXPECT_EQ(config.limits.max_rooms, 100000u);
  EXPECT_EQ(config.limits.max_connections, 100000u);
  EXPECT_EQ(config.limits.max_connections_per_ip, 0u);
  EXPECT_EQ(config.limits.messages_per_second, 50);
  EXPECT_EQ(config.limits.message_burst, 200u);
  EXPECT_EQ(config.limits.max_send_queue_bytes, 1048576u);
  EXPECT_EQ(config.limits.handshake_timeout, 10);
  EXPECT_EQ(config.limits.max_meta_bytes, 1024u);
  EXPECT_EQ(config.limits.max_watches, 8u);
  EXPECT_EQ(config.heartbeat.ping_interval, 20);
  EXPECT_EQ(config.heartbeat.ping_timeout, 20);
  EXPECT_EQ(config.resume.grace, 15);
  EXPECT_EQ(config.resume.buffer_messages, 64u);
  EXPECT_EQ(config.auth.jwt_secret, "");
  EXPECT_EQ(config.ice_servers, nlohmann::json::array());
  EXPECT_TRUE(config.turn.urls.empty());
  EXPECT_EQ(config.turn.secret, "");
  EXPECT_EQ(config.turn.ttl, 86400);
  EXPECT_EQ(config.cluster.redis, "");
  EXPECT_EQ(config.log.level, "info");
  EXPECT_EQ(config.log.format, "text");
}

TEST(ConfigExampleFile, LoadsAndHoldsTheDefaults) {
  const auto example = kSourceDir / "config" / "parley.json";
  ASSERT_TRUE(std::filesystem::exists(example)) << example;
  EXPECT_EQ(load_config(example.string(), {}), Config{});
}

TEST(ConfigExampleFile, NamesEveryKey) {
  // Every key of the contract is in the example, so each is documented there.
  const auto example = kSourceDir / "config" / "parley.json";
  std::ifstream in(example);
  const auto document = nlohmann::json::parse(in, nullptr, true, /*ignore_comments=*/true);
  for (const char* key : {"/listen/address",
                          "/listen/port",
                          "/tls/cert",
                          "/tls/key",
                          "/admin/address",
                          "/admin/port",
                          "/admin/token",
                          "/threads",
                          "/static_dir",
                          "/allowed_origins",
                          "/limits/max_message_bytes",
                          "/limits/max_peers_per_room",
                          "/limits/max_rooms",
                          "/limits/max_connections",
                          "/limits/max_connections_per_ip",
                          "/limits/messages_per_second",
                          "/limits/message_burst",
                          "/limits/max_send_queue_bytes",
                          "/limits/handshake_timeout",
                          "/limits/max_meta_bytes",
                          "/limits/max_watches",
                          "/heartbeat/ping_interval",
                          "/heartbeat/ping_timeout",
                          "/resume/grace",
                          "/resume/buffer_messages",
                          "/auth/jwt_secret",
                          "/ice_servers",
                          "/turn/urls",
                          "/turn/secret",
                          "/turn/ttl",
                          "/cluster/redis",
                          "/log/level",
                          "/log/format"}) {
    EXPECT_TRUE(document.contains(nlohmann::json::json_pointer(key))) << key;
  }
}

TEST(ConfigFile, OverridesEverySection) {
  const Config config = load_text(R"({
    "listen": {"address": "127.0.0.1", "port": 9000},
    "tls": {"cert": "cert.pem", "key": "key.pem"},
    "admin": {"address": "::1", "port": 0, "token": "secret-token"},
    "threads": 3,
    "static_dir": "/srv/web",
    "allowed_origins": ["https://a.example", "http://localhost:8080"],
    "limits": {"max_message_bytes": 4096, "max_peers_per_room": 5, "max_rooms": 10,
               "max_connections": 20, "max_connections_per_ip": 4,
               "messages_per_second": 2.5, "message_burst": 7,
               "max_send_queue_bytes": 8192, "handshake_timeout": 0.5},
    "heartbeat": {"ping_interval": 1.5, "ping_timeout": 3},
    "resume": {"grace": 0, "buffer_messages": 0},
    "auth": {"jwt_secret": "jwt"},
    "ice_servers": [{"urls": "stun:stun.example.org"},
                    {"urls": ["turn:t.example.org", "turns:t.example.org:5349"],
                     "username": "u", "credential": "c"}],
    "turn": {"urls": ["turn:turn.example.org:3478"], "secret": "shared", "ttl": 600},
    "cluster": {"redis": "redis://127.0.0.1:6379"},
    "log": {"level": "debug", "format": "json"}
  })");
  EXPECT_EQ(config.listen.address, "127.0.0.1");
  EXPECT_EQ(config.listen.port, 9000);
  EXPECT_TRUE(config.tls.enabled());
  EXPECT_EQ(config.tls.cert, "cert.pem");
  EXPECT_EQ(config.tls.key, "key.pem");
  EXPECT_EQ(config.admin.address, "::1");
  EXPECT_EQ(config.admin.port, 0);
  EXPECT_EQ(config.admin.token, "secret-token");
  EXPECT_EQ(config.threads, 3u);
  EXPECT_EQ(config.static_dir, "/srv/web");
  EXPECT_THAT(config.allowed_origins, ElementsAre("https://a.example", "http://localhost:8080"));
  EXPECT_EQ(config.limits.max_message_bytes, 4096u);
  EXPECT_EQ(config.limits.max_peers_per_room, 5u);
  EXPECT_EQ(config.limits.max_rooms, 10u);
  EXPECT_EQ(config.limits.max_connections, 20u);
  EXPECT_EQ(config.limits.max_connections_per_ip, 4u);
  EXPECT_EQ(config.limits.messages_per_second, 2.5);
  EXPECT_EQ(config.limits.message_burst, 7u);
  EXPECT_EQ(config.limits.max_send_queue_bytes, 8192u);
  EXPECT_EQ(config.limits.handshake_timeout, 0.5);
  EXPECT_EQ(config.heartbeat.ping_interval, 1.5);
  EXPECT_EQ(config.heartbeat.ping_timeout, 3);
  EXPECT_EQ(config.resume.grace, 0);
  EXPECT_EQ(config.resume.buffer_messages, 0u);
  EXPECT_EQ(config.auth.jwt_secret, "jwt");
  ASSERT_EQ(config.ice_servers.size(), 2u);
  EXPECT_EQ(config.ice_servers[1]["username"], "u");
  EXPECT_THAT(config.turn.urls, ElementsAre("turn:turn.example.org:3478"));
  EXPECT_EQ(config.turn.secret, "shared");
  EXPECT_EQ(config.turn.ttl, 600);
  EXPECT_EQ(config.cluster.redis, "redis://127.0.0.1:6379");
  EXPECT_EQ(config.log.level, "debug");
  EXPECT_EQ(config.log.format, "json");
}

TEST(ConfigFile, KeysLeftOutKeepTheirDefaults) {
  const Config config = load_text(R"({"limits": {"max_rooms": 5}})");
  Config expected;
  expected.limits.max_rooms = 5;
  EXPECT_EQ(config, expected);
}

TEST(ConfigFile, AllowsComments) {
  const Config config = load_text(R"(// leading comment
{
  // the port
  "listen": {"port": 1234},  // trailing comment
  /* a block
     comment */
  "threads": 1
})");
  EXPECT_EQ(config.listen.port, 1234);
  EXPECT_EQ(config.threads, 1u);
}

TEST(ConfigFile, AcceptsWholeNumbersWrittenWithAFraction) {
  EXPECT_EQ(load_text(R"({"limits": {"max_rooms": 4.0}})").limits.max_rooms, 4u);
}

TEST(ConfigFile, ApplyConfigJsonLayersOverAnExistingConfig) {
  Config config;
  config.listen.port = 1;
  config.threads = 2;
  std::vector<std::string> problems;
  apply_config_json(config, nlohmann::json{{"threads", 3}}, problems);
  EXPECT_TRUE(problems.empty());
  EXPECT_EQ(config.listen.port, 1);
  EXPECT_EQ(config.threads, 3u);
}

TEST(ConfigEnvironment, SetsSectionKeysAndTopLevelKeys) {
  const Config config = load_config("", {{"PARLEY_LISTEN_PORT", "9000"},
                                         {"PARLEY_LIMITS_MAX_PEERS_PER_ROOM", "4"},
                                         {"PARLEY_THREADS", "2"},
                                         {"PARLEY_STATIC_DIR", "/srv/web"},
                                         {"PARLEY_LOG_FORMAT", "json"}});
  EXPECT_EQ(config.listen.port, 9000);
  EXPECT_EQ(config.limits.max_peers_per_room, 4u);
  EXPECT_EQ(config.threads, 2u);
  EXPECT_EQ(config.static_dir, "/srv/web");
  EXPECT_EQ(config.log.format, "json");
}

TEST(ConfigEnvironment, SetsTheMetadataAndWatchLimits) {
  const Config config = load_config(
      "", {{"PARLEY_LIMITS_MAX_META_BYTES", "256"}, {"PARLEY_LIMITS_MAX_WATCHES", "0"}});
  EXPECT_EQ(config.limits.max_meta_bytes, 256u);
  EXPECT_EQ(config.limits.max_watches, 0u);
  const Config from_file = load_text(R"({"limits": {"max_meta_bytes": 4096, "max_watches": 3}})");
  EXPECT_EQ(from_file.limits.max_meta_bytes, 4096u);
  EXPECT_EQ(from_file.limits.max_watches, 3u);
}

TEST(ConfigEnvironment, ParsesNumbersFromText) {
  const Config config = load_config("", {{"PARLEY_LIMITS_MESSAGES_PER_SECOND", "0.5"},
                                         {"PARLEY_RESUME_GRACE", " 2.25 "},
                                         {"PARLEY_LIMITS_MAX_CONNECTIONS", "1e3"}});
  EXPECT_EQ(config.limits.messages_per_second, 0.5);
  EXPECT_EQ(config.resume.grace, 2.25);
  EXPECT_EQ(config.limits.max_connections, 1000u);
}

TEST(ConfigEnvironment, TakesStringsLiterallyOrJsonQuoted) {
  const Config config = load_config("", {{"PARLEY_ADMIN_TOKEN", "12345"},
                                         {"PARLEY_AUTH_JWT_SECRET", "\"quoted\""},
                                         {"PARLEY_TURN_SECRET", "with \"inner\" quotes"},
                                         {"PARLEY_TURN_URLS", "turn:t.example.org"}});
  EXPECT_EQ(config.admin.token, "12345");
  EXPECT_EQ(config.auth.jwt_secret, "quoted");
  EXPECT_EQ(config.turn.secret, "with \"inner\" quotes");
}

TEST(ConfigEnvironment, ReadsArraysAsJson) {
  const Config config =
      load_config("", {{"PARLEY_ALLOWED_ORIGINS", R"(["https://a.example","https://b.example"])"},
                       {"PARLEY_ICE_SERVERS", R"([{"urls":"stun:stun.example.org"}])"},
                       {"PARLEY_TURN_URLS", R"(["turn:t.example.org"])"}});
  EXPECT_THAT(config.allowed_origins, ElementsAre("https://a.example", "https://b.example"));
  EXPECT_EQ(config.ice_servers, nlohmann::json::parse(R"([{"urls":"stun:stun.example.org"}])"));
  EXPECT_THAT(config.turn.urls, ElementsAre("turn:t.example.org"));
}

TEST(ConfigEnvironment, ReadsCommaSeparatedLists) {
  const Config config =
      load_config("", {{"PARLEY_ALLOWED_ORIGINS", "https://a.example, https://b.example"}});
  EXPECT_THAT(config.allowed_origins, ElementsAre("https://a.example", "https://b.example"));
  EXPECT_THAT(load_config("", {{"PARLEY_ALLOWED_ORIGINS", "*"}}).allowed_origins, ElementsAre("*"));
}

TEST(ConfigEnvironment, IgnoresOtherVariables) {
  EXPECT_EQ(load_config("", {{"HOME", "/root"}, {"PARLEYX", "1"}}), Config{});
}

TEST(ConfigEnvironment, ReadsTheProcessEnvironment) {
  ::setenv("PARLEY_UNIT_TEST_PROBE", "a=b", 1);
  ::setenv("NOT_PARLEY_UNIT_TEST_PROBE", "x", 1);
  const auto environment = parley_environment();
  ::unsetenv("PARLEY_UNIT_TEST_PROBE");
  ::unsetenv("NOT_PARLEY_UNIT_TEST_PROBE");
  ASSERT_TRUE(environment.contains("PARLEY_UNIT_TEST_PROBE"));
  EXPECT_EQ(environment.at("PARLEY_UNIT_TEST_PROBE"), "a=b");
  EXPECT_FALSE(environment.contains("NOT_PARLEY_UNIT_TEST_PROBE"));
}

TEST(ConfigPrecedence, CommandLineBeatsEnvironmentBeatsFileBeatsDefaults) {
  TempFile file(R"({"listen": {"address": "127.0.0.1", "port": 1000}, "threads": 1})");
  const Environment environment{{"PARLEY_LISTEN_PORT", "2000"},
                                {"PARLEY_LISTEN_ADDRESS", "127.0.0.2"}};
  CommandLineOverrides cli;
  cli.address = "127.0.0.3";
  cli.port = 3000;

  EXPECT_EQ(load_config("", {}).listen.port, 8080);
  EXPECT_EQ(load_config(file.path(), {}).listen.port, 1000);
  EXPECT_EQ(load_config(file.path(), environment).listen.port, 2000);
  EXPECT_EQ(load_config(file.path(), environment).listen.address, "127.0.0.2");
  const Config all = load_config(file.path(), environment, cli);
  EXPECT_EQ(all.listen.port, 3000);
  EXPECT_EQ(all.listen.address, "127.0.0.3");
  EXPECT_EQ(all.threads, 1u);  // set by the file alone
}

TEST(ConfigPrecedence, CommandLinePortZeroOverrides) {
  CommandLineOverrides cli;
  cli.port = 0;
  EXPECT_EQ(load_config("", {{"PARLEY_LISTEN_PORT", "9000"}}, cli).listen.port, 0);
}

// ---- Errors: each names its key.

struct ErrorCase {
  const char* document;   // the file's text
  const char* key;        // what the single problem must start with
  const char* complaint;  // and a part of what it must say
};

void PrintTo(const ErrorCase& error, std::ostream* out) {
  *out << error.document;
}

class ConfigFileError : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ConfigFileError, NamesTheKey) {
  const ErrorCase& error = GetParam();
  const auto problems = file_problems(error.document);
  ASSERT_THAT(problems, SizeIs(1)) << error.document;
  EXPECT_THAT(problems[0], AllOf(::testing::StartsWith(std::string(error.key) + ": "),
                                 HasSubstr(error.complaint)));
}

INSTANTIATE_TEST_SUITE_P(
    Every, ConfigFileError,
    ::testing::Values(
        ErrorCase{R"({"bogus": 1})", "bogus", "unknown key"},
        ErrorCase{R"({"limits": {"foo": 1}})", "limits.foo", "unknown key"},
        ErrorCase{R"({"limits": 3})", "limits", "expected an object"},
        ErrorCase{R"({"listen": {"port": 70000}})", "listen.port",
                  "expected an integer from 0 to 65535"},
        ErrorCase{R"({"listen": {"port": -1}})", "listen.port", "from 0 to 65535"},
        ErrorCase{R"({"listen": {"port": "80"}})", "listen.port", "got the string \"80\""},
        ErrorCase{R"({"admin": {"port": 1.5}})", "admin.port", "from 0 to 65535"},
        ErrorCase{R"({"listen": {"address": "localhost"}})", "listen.address",
                  "expected an IP address"},
        ErrorCase{R"({"admin": {"address": 127}})", "admin.address", "expected a string"},
        ErrorCase{R"({"admin": {"token": null}})", "admin.token", "got null"},
        ErrorCase{R"({"limits": {"max_rooms": -5}})", "limits.max_rooms", "got -5"},
        ErrorCase{R"({"limits": {"max_connections_per_ip": 2.5}})", "limits.max_connections_per_ip",
                  "got 2.5"},
        ErrorCase{R"({"resume": {"buffer_messages": -1}})", "resume.buffer_messages",
                  "non-negative integer"},
        ErrorCase{R"({"limits": {"message_burst": 0}})", "limits.message_burst", "at least 1"},
        ErrorCase{R"({"limits": {"max_peers_per_room": 0}})", "limits.max_peers_per_room",
                  "at least 1"},
        ErrorCase{R"({"limits": {"max_message_bytes": 63}})", "limits.max_message_bytes",
                  "at least 64"},
        ErrorCase{R"({"limits": {"max_meta_bytes": 1}})", "limits.max_meta_bytes", "at least 2"},
        ErrorCase{R"({"limits": {"max_watches": -1}})", "limits.max_watches", "got -1"},
        ErrorCase{R"({"limits": {"max_watches": "8"}})", "limits.max_watches",
                  "got the string \"8\""},
        ErrorCase{R"({"limits": {"messages_per_second": 0}})", "limits.messages_per_second",
                  "greater than 0"},
        ErrorCase{R"({"limits": {"handshake_timeout": 0}})", "limits.handshake_timeout",
                  "greater than 0"},
        ErrorCase{R"({"heartbeat": {"ping_interval": 0}})", "heartbeat.ping_interval",
                  "greater than 0"},
        ErrorCase{R"({"heartbeat": {"ping_timeout": -1}})", "heartbeat.ping_timeout",
                  "greater than 0"},
        ErrorCase{R"({"resume": {"grace": -0.5}})", "resume.grace", "from 0"},
        ErrorCase{R"({"turn": {"ttl": 0}})", "turn.ttl", "greater than 0"},
        ErrorCase{R"({"turn": {"ttl": 1e12}})", "turn.ttl", "at most"},
        ErrorCase{R"({"threads": 257})", "threads", "from 0 to 256"},
        ErrorCase{R"({"threads": -1})", "threads", "from 0 to 256"},
        ErrorCase{R"({"log": {"level": "verbose"}})", "log.level",
                  "trace, debug, info, warn, error, critical, off"},
        ErrorCase{R"({"log": {"format": "xml"}})", "log.format", "text or json"},
        ErrorCase{R"({"tls": {"cert": "cert.pem"}})", "tls.key", "tls.cert"},
        ErrorCase{R"({"tls": {"key": "key.pem"}})", "tls.cert", "tls.key"},
        ErrorCase{R"({"allowed_origins": "*"})", "allowed_origins", "expected an array"},
        ErrorCase{R"({"allowed_origins": ["*", 3]})", "allowed_origins[1]", "expected a string"},
        ErrorCase{R"({"allowed_origins": ["https://a.example/"]})", "allowed_origins[0]",
                  "no path"},
        ErrorCase{R"({"ice_servers": {}})", "ice_servers", "expected an array"},
        ErrorCase{R"({"ice_servers": ["stun:x"]})", "ice_servers[0]", "expected an object"},
        ErrorCase{R"({"ice_servers": [{"username": "u"}]})", "ice_servers[0].urls", "missing"},
        ErrorCase{R"({"ice_servers": [{"urls": 5}]})", "ice_servers[0].urls",
                  "string or a non-empty array"},
        ErrorCase{R"({"ice_servers": [{"urls": []}]})", "ice_servers[0].urls", "empty array"},
        ErrorCase{R"({"ice_servers": [{"urls": ["stun:a", 1]}]})", "ice_servers[0].urls",
                  "a number"},
        ErrorCase{R"({"ice_servers": [{"urls": "http://a"}]})", "ice_servers[0].urls",
                  "stun:, stuns:, turn: or turns:"},
        ErrorCase{R"({"ice_servers": [{"urls": "stun:a", "credential": 1}]})",
                  "ice_servers[0].credential", "expected a string"},
        ErrorCase{R"({"turn": {"secret": "s"}})", "turn.urls", "turn.secret"},
        ErrorCase{R"({"turn": {"urls": ["http://t"]}})", "turn.urls[0]", "turn:"},
        ErrorCase{R"({"cluster": {"redis": "http://127.0.0.1:6379"}})", "cluster.redis",
                  "starting with redis://"},
        ErrorCase{R"({"cluster": {"redis": "rediss://127.0.0.1:6379"}})", "cluster.redis",
                  "no TLS"},
        ErrorCase{R"({"cluster": {"redis": "redis://127.0.0.1:0"}})", "cluster.redis", "port"},
        ErrorCase{R"({"cluster": {"redis": "redis://127.0.0.1:6379/x"}})", "cluster.redis",
                  "database number"},
        ErrorCase{R"({"cluster": {"redis": "redis://"}})", "cluster.redis", "no host"}));

TEST(ConfigErrors, AcceptTheEdgesOfEveryRange) {
  EXPECT_THAT(file_problems(R"({"listen": {"port": 65535}, "admin": {"port": 0},
      "threads": 256, "resume": {"grace": 0}, "limits": {"max_message_bytes": 64,
      "message_burst": 1, "max_peers_per_room": 1, "messages_per_second": 0.001},
      "cluster": {"redis": "redis://:pw@h:6380/2"}, "log": {"level": "off"}})"),
              SizeIs(0));
}

TEST(ConfigErrors, DoNotRepeatTheRedisUrl) {
  // It may hold a password, and error messages end up in logs.
  const auto problems = file_problems(R"({"cluster": {"redis": "http://:hunter2@h"}})");
  ASSERT_THAT(problems, SizeIs(1));
  EXPECT_THAT(problems[0], ::testing::Not(HasSubstr("hunter2")));
}

TEST(ConfigErrors, AreAllReportedTogether) {
  TempFile file(R"({"listen": {"port": 70000}, "threads": "many", "log": {"level": "loud"}})");
  try {
    load_config(file.path(), {{"PARLEY_LIMITS_MAX_ROOMS", "-1"}});
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& error) {
    EXPECT_THAT(error.problems(), SizeIs(4));
    const std::string what = error.what();
    for (const auto& problem : error.problems()) EXPECT_THAT(what, HasSubstr(problem));
    EXPECT_THAT(what, HasSubstr("listen.port"));
    EXPECT_THAT(what, HasSubstr("threads"));
    EXPECT_THAT(what, HasSubstr("log.level"));
    EXPECT_THAT(what, HasSubstr("PARLEY_LIMITS_MAX_ROOMS"));
    EXPECT_EQ(std::count(what.begin(), what.end(), '\n'), 3);  // one line per problem
  }
}

TEST(ConfigErrors, WhatJoinsTheLines) {
  const ConfigError error({"a: one", "b: two"});
  EXPECT_STREQ(error.what(), "a: one\nb: two");
  EXPECT_THAT(error.problems(), ElementsAre("a: one", "b: two"));
}

TEST(ConfigWarnings, UnknownEnvironmentVariableIsAWarningNamingIt) {
  const Environment environment{{"PARLEY_LIMITS_FOO", "1"}, {"PARLEY_LISTEN_PROT", "9000"}};
  EXPECT_THAT(environment_problems(environment), IsEmpty());
  const Config config = load_config("", environment);
  EXPECT_EQ(config, Config{});
  EXPECT_THAT(
      config_warnings(config, environment),
      ElementsAre("PARLEY_LIMITS_FOO: unknown variable, ignored (there is no key limits.foo)",
                  "PARLEY_LISTEN_PROT: unknown variable, ignored (there is no key listen.prot)"));
}

TEST(ConfigWarnings, NoneForTheVariablesOfTheProjectsOwnTools) {
  // The container's entrypoint and healthcheck, and scripts/test, share the prefix.
  const Environment environment{{"PARLEY_CONFIG_FILE", "/etc/parley/other.json"},
                                {"PARLEY_HEALTHCHECK_PORT", "8443"},
                                {"PARLEY_SKIP_DOCKER", "1"}};
  EXPECT_THAT(environment_problems(environment), IsEmpty());
  EXPECT_THAT(config_warnings(load_config("", environment), environment), IsEmpty());
}

TEST(ConfigWarnings, NoneForKnownVariablesAndDefaults) {
  const Environment environment{{"PARLEY_THREADS", "2"}, {"HOME", "/root"}};
  EXPECT_THAT(config_warnings(load_config("", environment), environment), IsEmpty());
}

TEST(ConfigWarnings, NoneForAClusterRedis) {
  Config config;
  config.cluster.redis = "redis://127.0.0.1:6379";
  EXPECT_THAT(config_warnings(config, {}), IsEmpty());
}

TEST(ConfigErrors, EnvironmentValuesNameTheKeyAndTheVariable) {
  const auto problems = environment_problems({{"PARLEY_LISTEN_PORT", "70000"},
                                              {"PARLEY_THREADS", "two"},
                                              {"PARLEY_ALLOWED_ORIGINS", "[\"a\""},
                                              {"PARLEY_ICE_SERVERS", "stun:x"}});
  EXPECT_THAT(problems, SizeIs(4));
  EXPECT_THAT(problems, Contains(AllOf(::testing::StartsWith("listen.port: "), HasSubstr("65535"),
                                       HasSubstr("PARLEY_LISTEN_PORT"))));
  EXPECT_THAT(problems,
              Contains(AllOf(::testing::StartsWith("threads: "), HasSubstr("PARLEY_THREADS"))));
  EXPECT_THAT(problems, Contains(AllOf(::testing::StartsWith("allowed_origins: "),
                                       HasSubstr("not valid JSON"))));
  EXPECT_THAT(problems,
              Contains(AllOf(::testing::StartsWith("ice_servers: "), HasSubstr("not valid JSON"))));
}

TEST(ConfigErrors, ClusterRedisFromTheEnvironmentIsChecked) {
  EXPECT_EQ(
      load_config("", {{"PARLEY_CLUSTER_REDIS", "redis://:pw@10.0.0.5:6380/3"}}).cluster.redis,
      "redis://:pw@10.0.0.5:6380/3");
  EXPECT_THAT(environment_problems({{"PARLEY_CLUSTER_REDIS", "rediss://10.0.0.5"}}),
              ElementsAre(AllOf(::testing::StartsWith("cluster.redis: "), HasSubstr("no TLS"),
                                HasSubstr("PARLEY_CLUSTER_REDIS"))));
}

TEST(ConfigErrors, CommandLineAddressIsChecked) {
  CommandLineOverrides cli;
  cli.address = "not-an-address";
  EXPECT_THAT(problems_of("", {}, cli), ElementsAre(AllOf(::testing::StartsWith("listen.address: "),
                                                          HasSubstr("--address"))));
}

TEST(ConfigErrors, UnreadableFileIsNamed) {
  const std::string missing =
      (std::filesystem::temp_directory_path() / "parley-no-such-config.json").string();
  EXPECT_THAT(problems_of(missing, {}),
              ElementsAre(AllOf(::testing::StartsWith(missing + ": "), HasSubstr("cannot"))));
  const std::string directory = std::filesystem::temp_directory_path().string();
  EXPECT_THAT(problems_of(directory, {}), ElementsAre(::testing::StartsWith(directory + ": ")));
}

TEST(ConfigErrors, ParseErrorSaysWhere) {
  TempFile file("{\n  \"listen\": {\"port\": 1,}\n}");
  EXPECT_THAT(problems_of(file.path(), {}),
              ElementsAre(AllOf(::testing::StartsWith(file.path() + ": not valid JSON"),
                                HasSubstr("line 2"))));
}

TEST(ConfigErrors, DocumentMustBeAnObject) {
  TempFile file("[1, 2]");
  EXPECT_THAT(problems_of(file.path(), {}),
              ElementsAre(AllOf(::testing::StartsWith(file.path() + ": "),
                                HasSubstr("expected a JSON object"))));
  std::vector<std::string> problems;
  Config config;
  apply_config_json(config, nlohmann::json(3), problems);
  EXPECT_THAT(problems, SizeIs(1));
}

TEST(ConfigErrors, LayersAfterABrokenFileAreStillChecked) {
  TempFile file("{");
  EXPECT_THAT(problems_of(file.path(), {{"PARLEY_LISTEN_PORT", "x"}}), SizeIs(2));
}

// ---- origin_allowed

TEST(ConfigOrigins, StarAllowsEverything) {
  Config config;
  EXPECT_TRUE(config.origin_allowed("https://any.example"));
  config.allowed_origins = {"https://a.example", "*"};
  EXPECT_TRUE(config.origin_allowed("https://other.example"));
}

TEST(ConfigOrigins, ListedOriginsMatchExactly) {
  Config config;
  config.allowed_origins = {"https://a.example", "http://localhost:8080"};
  EXPECT_TRUE(config.origin_allowed("https://a.example"));
  EXPECT_TRUE(config.origin_allowed("http://localhost:8080"));
  EXPECT_FALSE(config.origin_allowed("https://a.example:443"));
  EXPECT_FALSE(config.origin_allowed("http://a.example"));
  EXPECT_FALSE(config.origin_allowed("https://a.example.evil"));
  EXPECT_FALSE(config.origin_allowed("null"));
}

TEST(ConfigOrigins, AbsentOriginIsAllowed) {
  Config config;
  config.allowed_origins = {};
  EXPECT_TRUE(config.origin_allowed(""));
  EXPECT_FALSE(config.origin_allowed("https://a.example"));
}

}  // namespace
}  // namespace parley
