// Memory for Asio's per-socket reactor state, packed together (boost_impl.cpp
// routes it here).
//
// Asio's epoll reactor allocates one descriptor_state (~170 bytes) per socket
// when the socket opens and keeps it in a free list for reuse until the
// io_context is destroyed: it is never freed. Allocated with plain `new`, each
// one lands between the blocks of the session it was opened for, so once a
// wave of sessions has left, every page that held a session keeps one live
// descriptor_state and glibc's malloc_trim can return none of them (RSS stayed
// at 6.8x the baseline after 19,000 sessions left). Taken from blocks of their
// own they pin a few contiguous pages instead, and the pages the sessions used
// become free whole pages that malloc_trim returns.
//
// Slots are taken and given back under a mutex (several io_contexts may open
// sockets at once); blocks live as long as the process, as the reactor's free
// list would have kept their slots anyway.
#pragma once

#include <cstddef>

namespace parley {

class ReactorStateSlab {
 public:
  // A slot of `size` bytes (the same size on every call), aligned for any
  // ordinary type. Throws std::bad_alloc.
  static void* take(std::size_t size);
  // Returns a slot from take() for reuse.
  static void give_back(void* slot) noexcept;
  // Slots taken and not given back (what the reactors of the process hold).
  static std::size_t slots_taken() noexcept;
};

}  // namespace parley
