#include "client_frames.hpp"

#include <cstring>

namespace loadgen {

namespace {

std::uint32_t next_mask(std::uint64_t& state) {
  // xorshift64: a different key per frame, at the cost of three shifts.
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return static_cast<std::uint32_t>(state);
}

}  // namespace

void append_text_frame(std::string& out, std::string_view payload, std::uint64_t& mask_seed) {
  const std::size_t size = payload.size();
  out.push_back(static_cast<char>(0x81));  // FIN, text
  if (size < 126) {
    out.push_back(static_cast<char>(0x80 | size));
  } else if (size <= 0xffff) {
    out.push_back(static_cast<char>(0x80 | 126));
    out.push_back(static_cast<char>(size >> 8));
    out.push_back(static_cast<char>(size));
  } else {
    out.push_back(static_cast<char>(0x80 | 127));
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(size >> shift));
  }
  const std::uint32_t mask = next_mask(mask_seed);
  unsigned char key[4];
  std::memcpy(key, &mask, 4);
  out.append(reinterpret_cast<const char*>(key), 4);

  const std::size_t start = out.size();
  out.append(payload);
  auto* data = reinterpret_cast<unsigned char*>(out.data() + start);
  // Eight bytes at a time, then the tail; the key repeats every 4 bytes.
  std::uint64_t wide;
  const std::uint64_t key8 = (static_cast<std::uint64_t>(mask) << 32) | mask;
  std::size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    std::memcpy(&wide, data + i, 8);
    wide ^= key8;
    std::memcpy(data + i, &wide, 8);
  }
  for (; i < size; ++i) data[i] ^= key[i % 4];
}

}  // namespace loadgen
