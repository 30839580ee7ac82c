// Runs an io_context until something has happened (never a fixed sleep): each
// test awaits the events it checks, with a generous bound so that a failure is
// a failed assertion, not a hung suite.
#pragma once

#include <chrono>
#include <functional>

#include <boost/asio/io_context.hpp>

namespace parley::test {

inline bool run_until(boost::asio::io_context& context, const std::function<bool()>& done,
                      std::chrono::steady_clock::duration bound = std::chrono::seconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  context.restart();
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    context.run_one_for(std::chrono::milliseconds(50));
    context.restart();
  }
  return true;
}

}  // namespace parley::test
