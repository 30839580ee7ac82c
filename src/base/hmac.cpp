#include "base/hmac.hpp"

#include <array>

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace parley {

std::optional<std::string> hmac(HmacDigest digest, std::string_view key, std::string_view data) {
  // OpenSSL may reject a null key pointer even with length 0, and an empty
  // string_view's data() may be null.
  static const unsigned char kEmpty = 0;
  const void* key_bytes = key.empty() ? &kEmpty : static_cast<const void*>(key.data());
  const auto* data_bytes =
      data.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(data.data());
  const EVP_MD* md = digest == HmacDigest::sha1 ? EVP_sha1() : EVP_sha256();
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int length = 0;
  if (HMAC(md, key_bytes, static_cast<int>(key.size()), data_bytes, data.size(), mac.data(),
           &length) == nullptr ||
      length != static_cast<unsigned int>(EVP_MD_get_size(md))) {
    return std::nullopt;
  }
  return std::string(reinterpret_cast<const char*>(mac.data()), length);
}

std::string hex_encode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text;
  text.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    text.push_back(kDigits[byte >> 4]);
    text.push_back(kDigits[byte & 0x0f]);
  }
  return text;
}

}  // namespace parley
