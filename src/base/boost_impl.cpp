// The one translation unit that compiles Asio's and Beast's implementation
// (BOOST_*_SEPARATE_COMPILATION is set for every other file in CMakeLists.txt).
#include <new>

#include <boost/asio/detail/epoll_reactor.hpp>
#include <boost/asio/detail/object_pool.hpp>
#include <boost/version.hpp>

#include "base/reactor_state_slab.hpp"

// Asio's per-socket reactor state comes from a slab of its own instead of the
// general heap, so that it does not pin the pages of sessions that have left
// (base/reactor_state_slab.hpp). These specialise how Asio's object_pool creates
// and destroys a descriptor_state; they must be seen before the reactor's
// implementation below uses them, which is why they live in this file.
static_assert(BOOST_VERSION == 108100,
              "object_pool_access is an Asio detail: check the specialisations below "
              "against this Boost version's epoll_reactor before changing it");

namespace boost::asio::detail {

template <>
inline epoll_reactor::descriptor_state*
object_pool_access::create<epoll_reactor::descriptor_state, bool>(bool locking) {
  void* slot = parley::ReactorStateSlab::take(sizeof(epoll_reactor::descriptor_state));
  try {
    return new (slot) epoll_reactor::descriptor_state(locking);
  } catch (...) {
    parley::ReactorStateSlab::give_back(slot);
    throw;
  }
}

template <>
inline void object_pool_access::destroy<epoll_reactor::descriptor_state>(
    epoll_reactor::descriptor_state* state) {
  state->~descriptor_state();
  parley::ReactorStateSlab::give_back(state);
}

}  // namespace boost::asio::detail

#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
