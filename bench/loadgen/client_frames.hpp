// Client-to-server WebSocket frames (RFC 6455 5.2), written by the load
// generator itself so that every message queued on a connection goes out in
// one write: a server that coalesces its sends must not find the generator
// making one system call per message.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace loadgen {

// Appends `payload` to `out` as one unfragmented, masked text frame.
// `mask_seed` is advanced; masks need no cryptographic strength on loopback.
void append_text_frame(std::string& out, std::string_view payload, std::uint64_t& mask_seed);

}  // namespace loadgen
