// The TLS record reader: reads never cross a record's end, bytes come out in
// order whatever their chunking, and nothing is held between records.
#include "net/tls_record_reader.hpp"

#include <cstring>
#include <string>

#include <gtest/gtest.h>

namespace parley {
namespace {

// A record of `type` with a body of `body` bytes of `fill`.
std::string record(unsigned char type, std::size_t body, char fill) {
  std::string r;
  r.push_back(static_cast<char>(type));
  r.push_back('\x03');
  r.push_back('\x03');
  r.push_back(static_cast<char>(body >> 8));
  r.push_back(static_cast<char>(body & 0xff));
  r.append(body, fill);
  return r;
}

// Feeds `bytes` in chunks of at most `chunk`, bounded by what space() offers.
std::size_t feed(TlsRecordReader& reader, const std::string& bytes, std::size_t& at,
                 std::size_t chunk) {
  auto space = reader.space();
  const std::size_t n = std::min({space.size(), chunk, bytes.size() - at});
  std::memcpy(space.data(), bytes.data() + at, n);
  reader.filled(n);
  at += n;
  return n;
}

TEST(TlsRecordReader, AsksForTheHeaderThenExactlyTheBody) {
  TlsRecordReader reader;
  EXPECT_EQ(reader.space().size(), 5u);
  EXPECT_EQ(reader.held_bytes(), 0u);
  const std::string bytes = record(23, 300, 'a') + record(23, 2, 'b');
  std::size_t at = 0;
  feed(reader, bytes, at, 5);
  // The header alone is handed over first, with no body buffer yet.
  EXPECT_EQ(reader.held_bytes(), 0u);
  char out[400];
  EXPECT_EQ(reader.take(out, sizeof out), 5u);
  EXPECT_EQ(reader.take(out, sizeof out), 0u);
  // Then the body, exactly: the next record's header is not asked for.
  EXPECT_EQ(reader.space().size(), 300u);
  EXPECT_EQ(reader.held_bytes(), 300u);
  feed(reader, bytes, at, 1000);
  EXPECT_EQ(reader.take(out, 100), 100u);
  EXPECT_EQ(reader.held_bytes(), 300u);
  EXPECT_EQ(reader.take(out, sizeof out), 200u);
  EXPECT_EQ(std::string(out, 200), std::string(200, 'a'));
  // Record done: nothing held, the next header is next.
  EXPECT_EQ(reader.held_bytes(), 0u);
  EXPECT_EQ(reader.space().size(), 5u);
}

TEST(TlsRecordReader, AnyChunkingGivesTheSameBytesInOrder) {
  const std::string bytes =
      record(22, 1, 'x') + record(23, 0, 'y') + record(23, 17000, 'z') + record(21, 2, 'w');
  for (std::size_t chunk : {1u, 2u, 3u, 7u, 4096u, 65536u}) {
    TlsRecordReader reader;
    std::size_t at = 0;
    std::string out;
    while (at < bytes.size() || reader.waiting() > 0) {
      if (reader.waiting() == 0) {
        ASSERT_GT(feed(reader, bytes, at, chunk), 0u);
      }
      char piece[3];
      const std::size_t n = reader.take(piece, std::min<std::size_t>(chunk, sizeof piece));
      out.append(piece, n);
    }
    EXPECT_EQ(out, bytes) << "chunk " << chunk;
    EXPECT_EQ(reader.held_bytes(), 0u);
  }
}

TEST(TlsRecordReader, TheLargestLengthAHeaderCanStateIsAllItAsksFor) {
  TlsRecordReader reader;
  const std::string header = "\x17\x03\x03\xff\xff";
  std::size_t at = 0;
  feed(reader, header, at, 5);
  char out[5];
  reader.take(out, 5);
  EXPECT_EQ(reader.space().size(), 65535u);
}

}  // namespace
}  // namespace parley
