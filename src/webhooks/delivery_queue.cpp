#include "webhooks/delivery_queue.hpp"

#include <algorithm>
#include <cassert>
#include <limits>

namespace parley {

DeliveryQueue::DeliveryQueue(RetryPolicy policy, std::size_t max_in_flight)
    : policy_(policy), max_in_flight_(std::max<std::size_t>(1, max_in_flight)) {}

std::size_t DeliveryQueue::set_urls(const std::vector<std::string>& urls) {
  urls_.clear();
  for (const auto& url : urls) {
    if (std::find(urls_.begin(), urls_.end(), url) == urls_.end()) urls_.push_back(url);
  }
  std::size_t dropped = 0;
  for (auto it = lanes_.begin(); it != lanes_.end();) {
    Lane& lane = it->second;
    if (std::find(urls_.begin(), urls_.end(), lane.url) != urls_.end()) {
      ++it;
      continue;
    }
    for (auto& event : lane.events) complete(*event);
    dropped += lane.events.size();
    if (lane.in_flight) --in_flight_;
    lane_of_.erase({lane.url, lane.room});
    it = lanes_.erase(it);
  }
  return dropped;
}

void DeliveryQueue::push(std::string id, std::string room, std::string body) {
  if (urls_.empty()) return;
  auto event = std::make_shared<QueuedEvent>();
  event->id = std::move(id);
  event->room = std::move(room);
  event->body = std::move(body);
  event->unfinished = urls_.size();
  ++events_;
  for (const auto& url : urls_) {
    auto [where, created] = lane_of_.try_emplace({url, event->room}, next_serial_);
    if (created) {
      const std::uint64_t serial = next_serial_++;
      Lane& lane = lanes_[serial];
      lane.url = url;
      lane.room = event->room;
      lane.events.push_back(event);
      ready_.push_back(serial);
    } else {
      lanes_.at(where->second).events.push_back(event);
    }
  }
}

std::vector<DeliveryQueue::Attempt> DeliveryQueue::start_due(double now) {
  while (!waiting_.empty() && waiting_.begin()->first <= now) {
    ready_.push_back(waiting_.begin()->second);
    waiting_.erase(waiting_.begin());
  }
  std::vector<Attempt> attempts;
  while (!ready_.empty() && in_flight_ < max_in_flight_) {
    const std::uint64_t serial = ready_.front();
    ready_.pop_front();
    const auto found = lanes_.find(serial);
    if (found == lanes_.end() || found->second.in_flight) continue;  // stale entry
    Lane& lane = found->second;
    assert(!lane.events.empty());
    lane.in_flight = true;
    ++in_flight_;
    if (lane.attempts++ == 0) lane.first_try = now;
    attempts.push_back({serial, lane.url, lane.events.front(), lane.attempts});
  }
  return attempts;
}

DeliveryQueue::Result DeliveryQueue::finish(std::uint64_t serial, bool ok, double now) {
  const auto found = lanes_.find(serial);
  if (found == lanes_.end() || !found->second.in_flight) return Result::stale;
  Lane& lane = found->second;
  lane.in_flight = false;
  --in_flight_;
  if (ok) {
    advance(serial, lane);
    return Result::delivered;
  }
  if (now - lane.first_try >= policy_.give_up_after) {
    advance(serial, lane);
    return Result::dropped;
  }
  lane.delay = lane.delay == 0 ? policy_.first_delay : std::min(lane.delay * 2, policy_.max_delay);
  waiting_.emplace(now + lane.delay, serial);
  return Result::retrying;
}

void DeliveryQueue::advance(std::uint64_t serial, Lane& lane) {
  complete(*lane.events.front());
  lane.events.pop_front();
  lane.attempts = 0;
  lane.delay = 0;
  if (lane.events.empty()) {
    lane_of_.erase({lane.url, lane.room});
    lanes_.erase(serial);
  } else {
    ready_.push_back(serial);
  }
}

void DeliveryQueue::complete(QueuedEvent& event) {
  assert(event.unfinished > 0);
  if (--event.unfinished == 0) --events_;
}

std::optional<double> DeliveryQueue::next_due() {
  // Drop stale entries so the answer is a real lane's.
  while (!ready_.empty()) {
    const auto found = lanes_.find(ready_.front());
    if (found != lanes_.end() && !found->second.in_flight) break;
    ready_.pop_front();
  }
  while (!waiting_.empty()) {
    const auto found = lanes_.find(waiting_.begin()->second);
    if (found != lanes_.end() && !found->second.in_flight) break;
    waiting_.erase(waiting_.begin());
  }
  if (!ready_.empty() && in_flight_ < max_in_flight_)
    return -std::numeric_limits<double>::infinity();
  if (!waiting_.empty()) return waiting_.begin()->first;
  return std::nullopt;
}

}  // namespace parley
