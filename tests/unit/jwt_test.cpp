#include "policy/jwt.hpp"

#include <string>

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base/ids.hpp"

namespace parley {
namespace {

constexpr std::int64_t kNow = 1'700'000'000;
constexpr std::string_view kSecret = "parley-test-secret";

nlohmann::json claims(std::string room, std::int64_t exp) {
  return {{"room", std::move(room)}, {"exp", exp}};
}

// Replaces the payload of a signed token, keeping its header and signature.
std::string with_payload(const std::string& token, const std::string& payload_json) {
  const auto first = token.find('.');
  const auto second = token.find('.', first + 1);
  return token.substr(0, first + 1) + base64url_encode(payload_json) + token.substr(second);
}

// Signs arbitrary header and payload texts with HS256 through OpenSSL directly,
// so tests can reach the checks that run after the signature with payloads the
// JSON-building helper could never produce.
std::string sign_raw(std::string_view secret, const std::string& header,
                     const std::string& payload) {
  const std::string input = base64url_encode(header) + "." + base64url_encode(payload);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &length);
  return input + "." + base64url_encode(std::string_view(reinterpret_cast<char*>(mac), length));
}

constexpr std::string_view kHs256Header = R"({"alg":"HS256"})";

// A token minted independently with the openssl command line:
//   header  {"alg":"HS256","typ":"JWT"}
//   payload {"room":"lobby","exp":2000000000}
//   openssl dgst -sha256 -mac HMAC -macopt key:parley-test-secret -binary
constexpr std::string_view kOpensslToken =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJyb29tIjoibG9iYnkiLCJleHAiOjIwMDAwMDAwMDB9."
    "OdYmE5yWqGxCWS-lZdN4bG3mt1W3Jt8SnuX8jqN2eBc";

TEST(Jwt, AcceptsATokenSignedByOpenssl) {
  EXPECT_EQ(verify_join_token(kOpensslToken, kSecret, "lobby", kNow), JwtStatus::ok);
  EXPECT_EQ(verify_join_token(kOpensslToken, kSecret, "other", kNow), JwtStatus::wrong_room);
  EXPECT_EQ(verify_join_token(kOpensslToken, "another-secret", "lobby", kNow),
            JwtStatus::bad_signature);
  EXPECT_EQ(verify_join_token(kOpensslToken, kSecret, "lobby", 2'000'000'000), JwtStatus::expired);
}

// The example of RFC 7519 section 3.1 (key from RFC 7515 appendix A.1): its
// header has line breaks and "typ" first, and it has no room claim, so a correct
// signature check ends at wrong_room while it has not expired.
TEST(Jwt, ChecksTheSignatureOfTheRfc7519Example) {
  const std::string key = *base64url_decode(
      "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow");
  const std::string token =
      "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."
      "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVl"
      "fQ."
      "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
  EXPECT_EQ(verify_join_token(token, key, "any", 1300819379), JwtStatus::wrong_room);
  EXPECT_EQ(verify_join_token(token, key, "any", 1300819380), JwtStatus::expired);
  EXPECT_EQ(verify_join_token(token, "wrong key", "any", 1300819379), JwtStatus::bad_signature);
}

TEST(Jwt, SignedTokensVerify) {
  const auto token = sign_join_token_for_tests(kSecret, claims("lobby", kNow + 60));
  EXPECT_EQ(verify_join_token(token, kSecret, "lobby", kNow), JwtStatus::ok);
}

TEST(Jwt, WildcardRoomGrantsEveryRoom) {
  const auto token = sign_join_token_for_tests(kSecret, claims("*", kNow + 60));
  EXPECT_EQ(verify_join_token(token, kSecret, "lobby", kNow), JwtStatus::ok);
  EXPECT_EQ(verify_join_token(token, kSecret, "*", kNow), JwtStatus::ok);
  EXPECT_EQ(verify_join_token(token, kSecret, "kitchen", kNow), JwtStatus::ok);
}

TEST(Jwt, RoomClaimMustMatchExactly) {
  EXPECT_EQ(verify_join_token(sign_join_token_for_tests(kSecret, claims("Lobby", kNow + 60)),
                              kSecret, "lobby", kNow),
            JwtStatus::wrong_room);
  EXPECT_EQ(verify_join_token(sign_join_token_for_tests(kSecret, claims("lobby ", kNow + 60)),
                              kSecret, "lobby", kNow),
            JwtStatus::wrong_room);
  EXPECT_EQ(verify_join_token(sign_join_token_for_tests(kSecret, {{"exp", kNow + 60}}), kSecret,
                              "lobby", kNow),
            JwtStatus::wrong_room);
  EXPECT_EQ(verify_join_token(
                sign_join_token_for_tests(kSecret, {{"exp", kNow + 60}, {"room", {"lobby"}}}),
                kSecret, "lobby", kNow),
            JwtStatus::wrong_room);
}

TEST(Jwt, ExpiryHasNoLeeway) {
  EXPECT_EQ(verify_join_token(sign_join_token_for_tests(kSecret, claims("r", kNow + 1)), kSecret,
                              "r", kNow),
            JwtStatus::ok);
  EXPECT_EQ(
      verify_join_token(sign_join_token_for_tests(kSecret, claims("r", kNow)), kSecret, "r", kNow),
      JwtStatus::expired);
  EXPECT_EQ(verify_join_token(sign_join_token_for_tests(kSecret, claims("r", kNow - 1)), kSecret,
                              "r", kNow),
            JwtStatus::expired);
}

TEST(Jwt, FractionalAndHugeExpiriesCompareAsNumbers) {
  const auto fractional = [](double exp) {
    return sign_join_token_for_tests(kSecret, {{"room", "r"}, {"exp", exp}});
  };
  EXPECT_EQ(verify_join_token(fractional(kNow + 0.5), kSecret, "r", kNow), JwtStatus::ok);
  EXPECT_EQ(verify_join_token(fractional(kNow - 0.5), kSecret, "r", kNow), JwtStatus::expired);
  const auto huge = sign_join_token_for_tests(
      kSecret, {{"room", "r"}, {"exp", std::uint64_t{18'000'000'000'000'000'000u}}});
  EXPECT_EQ(verify_join_token(huge, kSecret, "r", kNow), JwtStatus::ok);
  const auto negative = sign_join_token_for_tests(kSecret, {{"room", "r"}, {"exp", -1}});
  EXPECT_EQ(verify_join_token(negative, kSecret, "r", kNow), JwtStatus::expired);
  EXPECT_EQ(verify_join_token(negative, kSecret, "r", -2), JwtStatus::ok);
}

TEST(Jwt, MissingOrNonNumericExpIsMalformed) {
  const auto token_with = [](nlohmann::json payload) {
    return sign_join_token_for_tests(kSecret, payload);
  };
  EXPECT_EQ(verify_join_token(token_with({{"room", "r"}}), kSecret, "r", kNow),
            JwtStatus::malformed);
  EXPECT_EQ(
      verify_join_token(token_with({{"room", "r"}, {"exp", "2000000000"}}), kSecret, "r", kNow),
      JwtStatus::malformed);
  EXPECT_EQ(verify_join_token(token_with({{"room", "r"}, {"exp", true}}), kSecret, "r", kNow),
            JwtStatus::malformed);
  EXPECT_EQ(verify_join_token(token_with({{"room", "r"}, {"exp", nullptr}}), kSecret, "r", kNow),
            JwtStatus::malformed);
}

TEST(Jwt, OnlyHs256IsAccepted) {
  const auto payload = claims("r", kNow + 60);
  for (const char* alg : {"none", "None", "HS384", "HS512", "RS256", "hs256", ""}) {
    EXPECT_EQ(
        verify_join_token(sign_join_token_for_tests(kSecret, payload, alg), kSecret, "r", kNow),
        JwtStatus::bad_algorithm)
        << alg;
  }
}

TEST(Jwt, HeaderWithoutStringAlgIsRefused) {
  const std::string payload = base64url_encode(claims("r", kNow + 60).dump());
  for (const char* header : {R"({"typ":"JWT"})", R"({"alg":null})", R"({"alg":["HS256"]})"}) {
    const std::string token = base64url_encode(header) + "." + payload + ".c2ln";
    EXPECT_EQ(verify_join_token(token, kSecret, "r", kNow), JwtStatus::bad_algorithm) << header;
  }
}

TEST(Jwt, TamperedPayloadFailsTheSignature) {
  const auto token = sign_join_token_for_tests(kSecret, claims("r", kNow + 60));
  const auto forged = with_payload(token, claims("*", kNow + 60).dump());
  EXPECT_EQ(verify_join_token(forged, kSecret, "other", kNow), JwtStatus::bad_signature);
}

TEST(Jwt, TruncatedOrExtendedSignatureFails) {
  const auto token = sign_join_token_for_tests(kSecret, claims("r", kNow + 60));
  const auto without_last_char = token.substr(0, token.size() - 1);
  EXPECT_NE(verify_join_token(without_last_char, kSecret, "r", kNow), JwtStatus::ok);
  EXPECT_EQ(verify_join_token(token.substr(0, token.rfind('.') + 1), kSecret, "r", kNow),
            JwtStatus::bad_signature);
  EXPECT_EQ(verify_join_token(token + "AAAA", kSecret, "r", kNow), JwtStatus::bad_signature);
}

TEST(Jwt, StructuralGarbageIsMalformed) {
  const auto token = sign_join_token_for_tests(kSecret, claims("r", kNow + 60));
  for (const std::string& bad : std::initializer_list<std::string>{
           "", ".", "..", "...", "abc", "a.b", token + ".x", "!!.!!.!!",
           base64url_encode("[1]") + ".e30.", base64url_encode("{not json") + ".e30.",
           token.substr(0, token.find('.')) + "=.x.y"}) {
    EXPECT_EQ(verify_join_token(bad, kSecret, "r", kNow), JwtStatus::malformed) << bad;
  }
}

TEST(Jwt, RawSignerAgreesWithTheHelper) {
  const std::string payload = R"({"room":"r","exp":1700000060})";
  EXPECT_EQ(
      verify_join_token(sign_raw(kSecret, std::string(kHs256Header), payload), kSecret, "r", kNow),
      JwtStatus::ok);
}

TEST(Jwt, SignedButUnreadablePayloadIsMalformed) {
  std::string deep_object;
  for (int i = 0; i < 100000; ++i) deep_object += R"({"a":)";
  deep_object += "1" + std::string(100000, '}');
  for (const std::string& payload : std::initializer_list<std::string>{
           "[]", "42", "\"text\"", "null", "{not json",
           "{\"room\":\"\xff\xfe\",\"exp\":9999999999}",
           std::string(100000, '[') + std::string(100000, ']'), deep_object, ""}) {
    EXPECT_EQ(verify_join_token(sign_raw(kSecret, std::string(kHs256Header), payload), kSecret, "r",
                                kNow),
              JwtStatus::malformed)
        << payload.substr(0, 40);
  }
}

TEST(Jwt, NeverThrowsOnHostileInput) {
  std::string binary;
  for (int i = 0; i < 4096; ++i) binary += static_cast<char>(i * 131 % 256);
  const std::string deep_payload = std::string(100000, '[') + std::string(100000, ']');
  const std::string invalid_utf8 = "{\"room\":\"\xff\xfe\",\"exp\":9999999999}";
  const std::string header = base64url_encode(R"({"alg":"HS256"})");
  for (const std::string& hostile : std::initializer_list<std::string>{
           binary, std::string(1 << 20, 'A'), std::string(1 << 16, '.'),
           header + "." + base64url_encode(deep_payload) + ".x",
           header + "." + base64url_encode(invalid_utf8) + ".x",
           base64url_encode("\xff\xff") + ".e30.x"}) {
    EXPECT_NE(verify_join_token(hostile, kSecret, "r", kNow), JwtStatus::ok);
  }
}

// --- integration-v1 "Token grants" ------------------------------------------

TokenCheck check(const nlohmann::json& payload, std::size_t max_meta_bytes = 1024) {
  return check_join_token(sign_join_token_for_tests(kSecret, payload), kSecret, "r", kNow,
                          max_meta_bytes);
}

nlohmann::json with_claim(const char* name, nlohmann::json value) {
  auto payload = claims("r", kNow + 60);
  payload[name] = std::move(value);
  return payload;
}

TEST(JwtGrants, NoGrantsMeansTheDefaults) {
  const auto result = check(claims("r", kNow + 60));
  ASSERT_EQ(result.status, JwtStatus::ok);
  EXPECT_FALSE(result.grants.meta);
  EXPECT_FALSE(result.grants.max_peers);
  EXPECT_EQ(result.grants.relay, kRelayAll);
}

TEST(JwtGrants, EveryGrantIsRead) {
  auto payload = claims("r", kNow + 60);
  payload["meta"] = {{"name", "Ada"}};
  payload["max_peers"] = 8;
  payload["relay"] = {"answer", "candidate"};
  const auto result = check(payload);
  ASSERT_EQ(result.status, JwtStatus::ok);
  EXPECT_EQ(result.grants.meta, nlohmann::json({{"name", "Ada"}}));
  EXPECT_EQ(result.grants.max_peers, 8u);
  EXPECT_EQ(result.grants.relay, kRelayAnswer | kRelayCandidate);
}

TEST(JwtGrants, MaxPeersIsAWholeNumberFrom1To1000) {
  EXPECT_EQ(check(with_claim("max_peers", 1)).grants.max_peers, 1u);
  EXPECT_EQ(check(with_claim("max_peers", 1000)).grants.max_peers, 1000u);
  EXPECT_EQ(check(with_claim("max_peers", 4.0)).grants.max_peers, 4u);
  for (const auto& bad : {nlohmann::json(0), nlohmann::json(1001), nlohmann::json(-3),
                          nlohmann::json(2.5), nlohmann::json("8"), nlohmann::json(nullptr),
                          nlohmann::json::array({8}), nlohmann::json(true), nlohmann::json(1e300)})
    EXPECT_EQ(check(with_claim("max_peers", bad)).status, JwtStatus::bad_grant) << bad;
}

TEST(JwtGrants, RelayNamesKnownTypesOnly) {
  EXPECT_EQ(check(with_claim("relay", nlohmann::json::array())).grants.relay, 0);
  EXPECT_EQ(check(with_claim("relay", {"offer", "answer", "candidate", "message"})).grants.relay,
            kRelayAll);
  for (const auto& bad :
       {nlohmann::json("offer"), nlohmann::json({"offer", "join"}), nlohmann::json({1}),
        nlohmann::json({"Offer"}), nlohmann::json(nullptr), nlohmann::json::object()})
    EXPECT_EQ(check(with_claim("relay", bad)).status, JwtStatus::bad_grant) << bad;
}

TEST(JwtGrants, MetaIsAnObjectWithinTheLimit) {
  // {"n":"<k x>"} is 8 + k bytes of compact JSON.
  EXPECT_EQ(check(with_claim("meta", {{"n", std::string(12, 'x')}}), 20).status, JwtStatus::ok);
  EXPECT_EQ(check(with_claim("meta", {{"n", std::string(13, 'x')}}), 20).status,
            JwtStatus::bad_grant);
  for (const auto& bad :
       {nlohmann::json("Ada"), nlohmann::json::array(), nlohmann::json(nullptr), nlohmann::json(1)})
    EXPECT_EQ(check(with_claim("meta", bad)).status, JwtStatus::bad_grant) << bad;
}

TEST(JwtGrants, AreReadOnlyAfterTheSignatureAndTheRoom) {
  // A bad grant in a token for another room is that room's refusal first.
  auto payload = with_claim("max_peers", 0);
  payload["room"] = "other";
  EXPECT_EQ(check(payload).status, JwtStatus::wrong_room);
  // And a tampered payload with a bad grant is a bad signature.
  const auto token = sign_join_token_for_tests(kSecret, claims("r", kNow + 60));
  EXPECT_EQ(check_join_token(with_payload(token, R"({"room":"r","exp":1800000000,"max_peers":0})"),
                             kSecret, "r", kNow, 1024)
                .status,
            JwtStatus::bad_signature);
}

TEST(JwtGrants, RelayBitsByName) {
  EXPECT_EQ(relay_bit("offer"), kRelayOffer);
  EXPECT_EQ(relay_bit("answer"), kRelayAnswer);
  EXPECT_EQ(relay_bit("candidate"), kRelayCandidate);
  EXPECT_EQ(relay_bit("message"), kRelayMessage);
  EXPECT_EQ(relay_bit("ping"), 0);
}

TEST(Jwt, StatusNamesAreDistinct) {
  EXPECT_EQ(to_string(JwtStatus::ok), "ok");
  EXPECT_NE(to_string(JwtStatus::expired), to_string(JwtStatus::wrong_room));
}

}  // namespace
}  // namespace parley
