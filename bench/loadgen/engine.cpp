#include "engine.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <future>

namespace loadgen {

namespace asio = boost::asio;

struct Engine::Worker {
  // One thread per io_context: the context's internal locking can stay off.
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> guard{io.get_executor()};
  std::thread thread;
};

Engine::Engine(int threads) {
  for (int i = 0; i < std::max(threads, 1); ++i) {
    auto worker = std::make_unique<Worker>();
    worker->thread = std::thread([io = &worker->io] { io->run(); });
    workers_.push_back(std::move(worker));
  }
}

Engine::~Engine() {
  stop();
}

asio::io_context& Engine::io(int worker) {
  return workers_[worker]->io;
}

void Engine::post(int worker, std::function<void()> task) {
  asio::post(workers_[worker]->io, std::move(task));
}

void Engine::run_everywhere(const std::function<void(int)>& task) {
  std::vector<std::future<void>> done;
  for (int i = 0; i < threads(); ++i) {
    auto promise = std::make_shared<std::promise<void>>();
    done.push_back(promise->get_future());
    post(i, [&task, i, promise] {
      task(i);
      promise->set_value();
    });
  }
  for (auto& f : done) f.wait();
}

void Engine::stop() {
  for (auto& worker : workers_) {
    worker->guard.reset();
    worker->io.stop();
  }
  for (auto& worker : workers_) {
    if (worker->thread.joinable()) worker->thread.join();
  }
}

}  // namespace loadgen
