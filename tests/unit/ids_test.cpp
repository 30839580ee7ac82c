#include "base/ids.hpp"

#include <set>
#include <string>

#include <gtest/gtest.h>

namespace parley {
namespace {

bool is_url_safe(const std::string& text) {
  for (const char c : text) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

TEST(Ids, PeerIdIs22UrlSafeCharactersOf16Bytes) {
  const std::string id = random_peer_id();
  EXPECT_EQ(id.size(), 22u);
  EXPECT_TRUE(is_url_safe(id)) << id;
  const auto bytes = base64url_decode(id);
  ASSERT_TRUE(bytes);
  EXPECT_EQ(bytes->size(), 16u);
}

TEST(Ids, ResumeTokenCarries32Bytes) {
  const std::string token = random_resume_token();
  EXPECT_EQ(token.size(), 43u);
  EXPECT_TRUE(is_url_safe(token)) << token;
  const auto bytes = base64url_decode(token);
  ASSERT_TRUE(bytes);
  EXPECT_EQ(bytes->size(), 32u);
}

TEST(Ids, IdsDoNotRepeat) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    EXPECT_TRUE(seen.insert(random_peer_id()).second);
    EXPECT_TRUE(seen.insert(random_resume_token()).second);
  }
}

// RFC 4648 section 10 test vectors.
TEST(Base64, StandardEncodingMatchesRfc4648Vectors) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
}

TEST(Base64, StandardDecodingMatchesRfc4648Vectors) {
  EXPECT_EQ(base64_decode(""), "");
  EXPECT_EQ(base64_decode("Zg=="), "f");
  EXPECT_EQ(base64_decode("Zm8="), "fo");
  EXPECT_EQ(base64_decode("Zm9v"), "foo");
  EXPECT_EQ(base64_decode("Zm9vYg=="), "foob");
  EXPECT_EQ(base64_decode("Zm9vYmE="), "fooba");
  EXPECT_EQ(base64_decode("Zm9vYmFy"), "foobar");
}

TEST(Base64, AlphabetsDifferInTheLastTwoCharacters) {
  const std::string bytes("\xfb\xff\xbf", 3);
  EXPECT_EQ(base64_encode(bytes), "+/+/");
  EXPECT_EQ(base64url_encode(bytes), "-_-_");
  EXPECT_EQ(base64_decode("+/+/"), bytes);
  EXPECT_EQ(base64url_decode("-_-_"), bytes);
  EXPECT_FALSE(base64_decode("-_-_"));
  EXPECT_FALSE(base64url_decode("+/+/"));
}

TEST(Base64, StrictStandardDecodingRejectsSloppyInput) {
  EXPECT_FALSE(base64_decode("Zg"));     // padding missing
  EXPECT_FALSE(base64_decode("Zg="));    // padding short
  EXPECT_FALSE(base64_decode("Zg==="));  // too much padding
  EXPECT_FALSE(base64_decode("Z==="));   // three '=' cannot be padding
  EXPECT_FALSE(base64_decode("===="));
  EXPECT_FALSE(base64_decode("Zm=v"));       // '=' inside
  EXPECT_FALSE(base64_decode("Zm9v Zm9v"));  // whitespace
  EXPECT_FALSE(base64_decode("Zm9v\n"));
  EXPECT_FALSE(base64_decode("Zh=="));  // unused bits set: not canonical
  EXPECT_FALSE(base64_decode("Zm9="));
  EXPECT_FALSE(base64_decode(std::string("Zm\0v", 4)));
}

TEST(Base64, UrlDecodingRejectsPaddingAndBadLengths) {
  EXPECT_EQ(base64url_decode("Zg"), "f");
  EXPECT_EQ(base64url_decode("Zm8"), "fo");
  EXPECT_FALSE(base64url_decode("Zg=="));
  EXPECT_FALSE(base64url_decode("Zm8="));
  EXPECT_FALSE(base64url_decode("Zm9vY"));  // 1 mod 4: no whole byte
  EXPECT_FALSE(base64url_decode("Zh"));     // unused bits set
  EXPECT_FALSE(base64url_decode("Zm.v"));
}

TEST(Base64, EveryByteValueRoundTrips) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (std::size_t length = 0; length <= all.size(); length += 37) {
    const std::string bytes = all.substr(0, length);
    EXPECT_EQ(base64_decode(base64_encode(bytes)), bytes);
    EXPECT_EQ(base64url_decode(base64url_encode(bytes)), bytes);
  }
  EXPECT_EQ(base64url_decode(base64url_encode(all)), all);
}

}  // namespace
}  // namespace parley
