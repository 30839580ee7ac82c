// The webhooks.* settings: defaults, file, environment, and the errors
// --check-config prints for them.
#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "config/config.hpp"

namespace parley {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using Environment = std::map<std::string, std::string>;

std::string write_file(const std::string& text) {
  static int counter = 0;
  const auto path = std::filesystem::temp_directory_path() /
                    ("parley-webhooks-config-" + std::to_string(::getpid()) + "-" +
                     std::to_string(counter++) + ".json");
  std::ofstream(path, std::ios::binary) << text;
  return path.string();
}

std::vector<std::string> problems_of(const std::string& text, const Environment& environment = {}) {
  const std::string file = text.empty() ? "" : write_file(text);
  try {
    load_config(file, environment);
  } catch (const ConfigError& error) {
    if (!file.empty()) std::filesystem::remove(file);
    return error.problems();
  }
  if (!file.empty()) std::filesystem::remove(file);
  return {};
}

TEST(WebhooksConfig, DefaultsMatchTheContract) {
  const Config config = load_config("", {});
  EXPECT_TRUE(config.webhooks.urls.empty());
  EXPECT_EQ(config.webhooks.secret, "");
  EXPECT_EQ(config.webhooks.timeout, 5);
  EXPECT_EQ(config.webhooks.max_queue, 10000u);
}

TEST(WebhooksConfig, ReadsTheFile) {
  const std::string file = write_file(R"({"webhooks": {
      "urls": ["http://127.0.0.1:9000/hook", "https://app.example.com/parley?token=x"],
      "secret": "s3cret", "timeout": 0.5, "max_queue": 7}})");
  const Config config = load_config(file, {});
  std::filesystem::remove(file);
  EXPECT_EQ(config.webhooks.urls,
            (std::vector<std::string>{"http://127.0.0.1:9000/hook",
                                      "https://app.example.com/parley?token=x"}));
  EXPECT_EQ(config.webhooks.secret, "s3cret");
  EXPECT_EQ(config.webhooks.timeout, 0.5);
  EXPECT_EQ(config.webhooks.max_queue, 7u);
}

TEST(WebhooksConfig, ReadsTheEnvironment) {
  const Config config = load_config("", {{"PARLEY_WEBHOOKS_URLS", R"(["https://a.example/h"])"},
                                         {"PARLEY_WEBHOOKS_SECRET", "env-secret"},
                                         {"PARLEY_WEBHOOKS_TIMEOUT", "2.5"},
                                         {"PARLEY_WEBHOOKS_MAX_QUEUE", "100"}});
  EXPECT_EQ(config.webhooks.urls, std::vector<std::string>{"https://a.example/h"});
  EXPECT_EQ(config.webhooks.secret, "env-secret");
  EXPECT_EQ(config.webhooks.timeout, 2.5);
  EXPECT_EQ(config.webhooks.max_queue, 100u);
  const Config listed = load_config(
      "", {{"PARLEY_WEBHOOKS_URLS", "http://a/, http://b/"}, {"PARLEY_WEBHOOKS_SECRET", "s"}});
  EXPECT_EQ(listed.webhooks.urls, (std::vector<std::string>{"http://a/", "http://b/"}));
}

TEST(WebhooksConfig, UrlsNeedASecret) {
  EXPECT_THAT(problems_of(R"({"webhooks": {"urls": ["http://127.0.0.1:1/"]}})"),
              Contains(HasSubstr("webhooks.secret: must be set when webhooks.urls is not empty")));
  EXPECT_THAT(problems_of("", {{"PARLEY_WEBHOOKS_URLS", "http://127.0.0.1:1/"}}),
              Contains(HasSubstr("webhooks.secret")));
  EXPECT_TRUE(problems_of(R"({"webhooks": {"secret": "only-a-secret"}})").empty());
}

TEST(WebhooksConfig, BadUrlsNameTheKeyAndTheEntry) {
  const auto problems = problems_of(
      R"({"webhooks": {"urls": ["http://ok.example/", "ftp://x/", "no-scheme"], "secret": "s"}})");
  EXPECT_THAT(problems,
              Contains(HasSubstr("webhooks.urls[1]: expected an http:// or https:// URL")));
  EXPECT_THAT(problems,
              Contains(HasSubstr("webhooks.urls[2]: expected an http:// or https:// URL")));
  EXPECT_EQ(problems.size(), 2u);
  EXPECT_THAT(problems_of(R"({"webhooks": {"urls": "http://a/", "secret": "s"}})"),
              Contains(HasSubstr("webhooks.urls: expected an array of strings")));
}

TEST(WebhooksConfig, ImpossibleNumbersNameTheKey) {
  EXPECT_THAT(problems_of(R"({"webhooks": {"timeout": 0}})"),
              Contains(HasSubstr("webhooks.timeout: expected a number of seconds")));
  EXPECT_THAT(problems_of(R"({"webhooks": {"timeout": "5"}})"),
              Contains(HasSubstr("webhooks.timeout")));
  EXPECT_THAT(problems_of(R"({"webhooks": {"max_queue": 0}})"),
              Contains(HasSubstr("webhooks.max_queue: expected an integer of at least 1")));
  EXPECT_THAT(problems_of(R"({"webhooks": {"max_queue": -3}})"),
              Contains(HasSubstr("webhooks.max_queue")));
  EXPECT_THAT(problems_of(R"({"webhooks": {"url": []}})"),
              Contains(HasSubstr("webhooks.url: unknown key")));
  EXPECT_THAT(problems_of("", {{"PARLEY_WEBHOOKS_MAX_QUEUE", "lots"}}),
              Contains(HasSubstr("webhooks.max_queue")));
}

}  // namespace
}  // namespace parley
