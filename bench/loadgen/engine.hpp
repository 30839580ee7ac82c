// The generator's threads: one io_context per thread, and every client of a
// room on the same thread, so a room's state needs no locks. The main thread
// only starts phases and waits for them.
#pragma once

#include <functional>
#include <memory>
#include <thread>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace loadgen {

class Engine {
 public:
  explicit Engine(int threads);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  int threads() const { return static_cast<int>(workers_.size()); }
  boost::asio::io_context& io(int worker);
  // Runs `task` on `worker`'s thread.
  void post(int worker, std::function<void()> task);
  // Runs `task(worker)` on every thread and returns when all have finished.
  void run_everywhere(const std::function<void(int worker)>& task);
  // Stops every thread; pending operations are abandoned.
  void stop();

 private:
  struct Worker;
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace loadgen
