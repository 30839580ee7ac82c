// `cluster.redis` URLs: what is accepted, what each part means, and the message
// for every kind of mistake (never repeating a password).
#include "config/redis_url.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace parley {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

RedisUrl parse_ok(std::string_view text) {
  std::string error;
  auto url = parse_redis_url(text, error);
  EXPECT_TRUE(url) << text << ": " << error;
  return url.value_or(RedisUrl{});
}

std::string parse_error(std::string_view text) {
  std::string error;
  EXPECT_FALSE(parse_redis_url(text, error)) << text;
  return error;
}

TEST(RedisUrl, HostAndPort) {
  const RedisUrl url = parse_ok("redis://127.0.0.1:6380");
  EXPECT_EQ(url.host, "127.0.0.1");
  EXPECT_EQ(url.port, 6380);
  EXPECT_EQ(url.password, "");
  EXPECT_EQ(url.user, "");
  EXPECT_EQ(url.db, 0u);
}

TEST(RedisUrl, DefaultPortIs6379) {
  EXPECT_EQ(parse_ok("redis://redis.internal").port, 6379);
  EXPECT_EQ(parse_ok("redis://redis.internal/").port, 6379);
  EXPECT_EQ(parse_ok("REDIS://redis.internal").host, "redis.internal");
}

TEST(RedisUrl, PasswordAndDatabase) {
  const RedisUrl url = parse_ok("redis://:s%40cret@10.0.0.5:6379/2");
  EXPECT_EQ(url.password, "s@cret");  // percent-decoded
  EXPECT_EQ(url.user, "");
  EXPECT_EQ(url.db, 2u);
}

TEST(RedisUrl, AclUserAndPassword) {
  const RedisUrl url = parse_ok("redis://parley:pw@10.0.0.5/1");
  EXPECT_EQ(url.user, "parley");
  EXPECT_EQ(url.password, "pw");
  EXPECT_EQ(url.db, 1u);
}

TEST(RedisUrl, Ipv6Host) {
  const RedisUrl url = parse_ok("redis://[::1]:7000");
  EXPECT_EQ(url.host, "::1");
  EXPECT_EQ(url.port, 7000);
  EXPECT_EQ(describe(url), "redis://[::1]:7000");
}

TEST(RedisUrl, DescribeHidesThePassword) {
  const std::string text = describe(parse_ok("redis://u:hunter2@h:1/4"));
  EXPECT_EQ(text, "redis://u:***@h:1/4");
  EXPECT_THAT(text, Not(HasSubstr("hunter2")));
}

TEST(RedisUrl, TlsIsRefusedWithTheReason) {
  EXPECT_THAT(parse_error("rediss://h:6380"), HasSubstr("hiredis 0.14 has no TLS"));
}

TEST(RedisUrl, MistakesAreNamed) {
  EXPECT_THAT(parse_error("http://h:6379"), HasSubstr("starting with redis://"));
  EXPECT_THAT(parse_error("127.0.0.1:6379"), HasSubstr("redis://"));
  EXPECT_THAT(parse_error("redis://"), HasSubstr("no host"));
  EXPECT_THAT(parse_error("redis://h:0"), HasSubstr("port"));
  EXPECT_THAT(parse_error("redis://h:70000"), HasSubstr("port"));
  EXPECT_THAT(parse_error("redis://h:63x"), Not(HasSubstr("63x")));
  EXPECT_THAT(parse_error("redis://h/db1"), HasSubstr("database number"));
  EXPECT_THAT(parse_error("redis://h/1/2"), HasSubstr("database number"));
  EXPECT_THAT(parse_error("redis://h/-1"), HasSubstr("database number"));
  EXPECT_THAT(parse_error("redis://h?x=1"), HasSubstr("query"));
  EXPECT_THAT(parse_error("redis://user@h"), HasSubstr("no password"));
  EXPECT_THAT(parse_error("redis://h w"), HasSubstr("not a valid URL"));
}

TEST(RedisUrl, ErrorsNeverRepeatThePassword) {
  for (const char* text : {"redis://:hunter2@h:0", "redis://:hunter2@h/x", "rediss://:hunter2@h",
                           "http://:hunter2@h", "redis://:hunter2@h?q"})
    EXPECT_THAT(parse_error(text), Not(HasSubstr("hunter2"))) << text;
}

}  // namespace
}  // namespace parley
