// Command-line parsing: options, --help and --version, and usage errors.
#include "config/cli.hpp"

#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace parley {
namespace {

using ::testing::HasSubstr;

struct ParseResult {
  std::optional<int> exit_code;
  CliOptions options;
  std::string out;
  std::string err;
};

ParseResult parse(std::vector<std::string> arguments) {
  arguments.insert(arguments.begin(), "parleyd");
  std::vector<char*> argv;
  for (auto& argument : arguments) argv.push_back(argument.data());
  argv.push_back(nullptr);
  ParseResult result;
  std::ostringstream out;
  std::ostringstream err;
  result.exit_code =
      parse_command_line(static_cast<int>(arguments.size()), argv.data(), result.options, out, err);
  result.out = out.str();
  result.err = err.str();
  return result;
}

TEST(CommandLine, NoArgumentsRunOnDefaults) {
  const auto result = parse({});
  EXPECT_EQ(result.exit_code, std::nullopt);
  EXPECT_EQ(result.options.config_file, "");
  EXPECT_FALSE(result.options.overrides.address);
  EXPECT_FALSE(result.options.overrides.port);
  EXPECT_FALSE(result.options.check_config);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err, "");
}

TEST(CommandLine, ReadsEveryOption) {
  const auto result = parse(
      {"--config", "/etc/parley.json", "--address", "127.0.0.1", "--port", "0", "--check-config"});
  EXPECT_EQ(result.exit_code, std::nullopt);
  EXPECT_EQ(result.options.config_file, "/etc/parley.json");
  EXPECT_EQ(result.options.overrides.address, "127.0.0.1");
  EXPECT_EQ(result.options.overrides.port, 0);
  EXPECT_TRUE(result.options.check_config);
}

TEST(CommandLine, AcceptsTheEqualsForm) {
  const auto result = parse({"--port=65535", "--config=x.json"});
  EXPECT_EQ(result.exit_code, std::nullopt);
  EXPECT_EQ(result.options.overrides.port, 65535);
  EXPECT_EQ(result.options.config_file, "x.json");
}

TEST(CommandLine, HelpPrintsTheOptionsToStandardOutput) {
  const auto result = parse({"--help"});
  EXPECT_EQ(result.exit_code, 0);
  for (const char* option : {"--config", "--address", "--port", "--check-config", "--version"}) {
    EXPECT_THAT(result.out, HasSubstr(option));
  }
  EXPECT_EQ(result.err, "");
}

TEST(CommandLine, VersionPrintsTheVersionToStandardOutput) {
  const auto result = parse({"--version"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.out, std::string("parleyd ") + PARLEY_VERSION + "\n");
  EXPECT_EQ(result.err, "");
}

TEST(CommandLine, BadPortIsAUsageError) {
  for (const char* port : {"70000", "-1", "http", "80x"}) {
    const auto result = parse({"--port", port});
    EXPECT_EQ(result.exit_code, 2) << port;
    EXPECT_THAT(result.err, HasSubstr("--port")) << port;
    EXPECT_EQ(result.out, "") << port;
  }
}

TEST(CommandLine, OtherMistakesAreUsageErrors) {
  for (const auto& arguments : std::vector<std::vector<std::string>>{
           {"--bogus"}, {"stray"}, {"--port"}, {"--config"}, {"--check-config=maybe"}}) {
    const auto result = parse(arguments);
    EXPECT_EQ(result.exit_code, 2) << arguments[0];
    EXPECT_NE(result.err, "") << arguments[0];
    EXPECT_EQ(result.out, "") << arguments[0];
  }
}

}  // namespace
}  // namespace parley
