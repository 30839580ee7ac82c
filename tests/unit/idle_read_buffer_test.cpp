// The session read buffer: no heap memory while waiting, and the DynamicBuffer
// calls Beast's message read makes (prepare(min(1536, max_size - size)), then
// the rest of the frame) give back the message contiguous and whole.
#include "net/idle_read_buffer.hpp"

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>

#include <gtest/gtest.h>
#include <boost/asio/buffer.hpp>

namespace parley {
namespace {

// Writes `bytes` into the buffer the way Beast's read loop does: asks for
// min(1536, max_size() - size()) the first time, then for what is left.
void read_message(IdleReadBuffer& buffer, std::string_view bytes) {
  while (!bytes.empty()) {
    const std::size_t ask =
        buffer.size() == 0 ? std::min<std::size_t>(1536, buffer.max_size()) : bytes.size();
    auto room = buffer.prepare(ask);
    const std::size_t n = std::min(room.size(), bytes.size());
    std::memcpy(room.data(), bytes.data(), n);
    buffer.commit(n);
    bytes.remove_prefix(n);
  }
}

std::string text_of(const IdleReadBuffer& buffer) {
  auto data = buffer.cdata();
  return std::string(static_cast<const char*>(data.data()), data.size());
}

TEST(IdleReadBuffer, AnEmptyBufferAsksForOneByteAndHoldsNoHeap) {
  IdleReadBuffer buffer;
  EXPECT_EQ(buffer.size(), 0u);
  EXPECT_EQ(buffer.max_size(), 1u);
  EXPECT_EQ(buffer.prepare(1).size(), 1u);
  buffer.commit(0);
  EXPECT_EQ(buffer.size(), 0u);
  EXPECT_EQ(buffer.capacity(), 1u);  // the lent byte, no heap
}

TEST(IdleReadBuffer, MessagesComeOutWholeAndContiguous) {
  IdleReadBuffer buffer;
  for (const std::string& message :
       {std::string("x"), std::string(R"({"type":"ping"})"), std::string(70000, 'a')}) {
    read_message(buffer, message);
    EXPECT_EQ(buffer.size(), message.size());
    EXPECT_EQ(text_of(buffer), message);
    buffer.release();
    EXPECT_EQ(buffer.size(), 0u);
    EXPECT_EQ(buffer.capacity(), 1u);
  }
}

TEST(IdleReadBuffer, ConsumeCountsTheFirstByte) {
  IdleReadBuffer buffer;
  read_message(buffer, "y");
  buffer.consume(1);
  EXPECT_EQ(buffer.size(), 0u);
  read_message(buffer, "hello");
  buffer.consume(2);
  EXPECT_EQ(text_of(buffer), "llo");
}

}  // namespace
}  // namespace parley
