// Which webhook delivery to attempt next, and when: the bookkeeping of the
// dispatcher, without I/O or threads, with time passed in (so retry schedules
// are tested without waiting minutes).
//
// One lane per (URL, room): a FIFO of that room's events still to be delivered
// to that URL. Only a lane's head is ever attempted, so a room's events reach
// each URL in seq order, and a head that keeps failing holds back its own lane
// only: other rooms, and the same room at other URLs, go on.
//
// Each lane is at any time in exactly one state: ready (head due now), waiting
// (head due at a retry time), in flight, or gone (empty lanes are erased).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace parley {

struct RetryPolicy {
  double first_delay = 1;  // seconds before the first retry (the contract: within 2 s)
  double max_delay = 60;   // each later delay doubles, up to this (the contract: at most 60 s)
  double give_up_after =
      300;  // an event still failing this long after its first attempt is dropped
};

// One published event, shared by the lanes of every URL.
struct QueuedEvent {
  std::string id;
  std::string room;
  std::string body;
  std::size_t unfinished = 0;  // lanes that still have it
};

class DeliveryQueue {
 public:
  explicit DeliveryQueue(RetryPolicy policy = {}, std::size_t max_in_flight = 64);

  struct Attempt {
    std::uint64_t lane = 0;  // pass back to finish()
    std::string url;
    std::shared_ptr<const QueuedEvent> event;
    unsigned number = 1;  // 1 for the first attempt of this event at this URL
  };

  // The URLs that receive events from now on. Lanes of URLs no longer listed
  // are discarded with their events (counted as dropped deliveries); their
  // attempts in flight are forgotten. Returns the deliveries dropped.
  std::size_t set_urls(const std::vector<std::string>& urls);
  const std::vector<std::string>& urls() const { return urls_; }

  // Queues an event for every URL. (The bound on waiting events is the
  // dispatcher's: it refuses events before they get here.)
  void push(std::string id, std::string room, std::string body);

  // Marks the heads that are due at `now` as in flight and returns them, at
  // most max_in_flight attempts running at once.
  std::vector<Attempt> start_due(double now);

  enum class Result {
    delivered,  // the head is done at this URL; the lane moves on
    retrying,   // the head stays; its lane waits for the retry time
    dropped,    // the head failed for give_up_after seconds: dropped, the lane moves on
    stale,      // the lane is gone (its URL was removed): nothing changed
  };
  Result finish(std::uint64_t lane, bool ok, double now);

  // When start_due next has something to start: `now` or earlier when a lane
  // is ready (and a slot is free), else the earliest retry time.
  std::optional<double> next_due();

  std::size_t size() const { return events_; }  // events not yet finished at every URL
  std::size_t in_flight() const { return in_flight_; }
  std::size_t lanes() const { return lanes_.size(); }

 private:
  struct Lane {
    std::string url;
    std::string room;
    std::deque<std::shared_ptr<QueuedEvent>> events;
    bool in_flight = false;
    unsigned attempts = 0;  // of the head
    double first_try = 0;   // when the head was first attempted
    double delay = 0;       // the head's last retry delay (0: none yet)
  };

  void complete(QueuedEvent& event);
  void advance(std::uint64_t serial, Lane& lane);  // pops the head, schedules the next

  RetryPolicy policy_;
  std::size_t max_in_flight_;
  std::vector<std::string> urls_;
  std::unordered_map<std::uint64_t, Lane> lanes_;
  std::map<std::pair<std::string, std::string>, std::uint64_t> lane_of_;  // (url, room)
  // Lazily cleaned: a serial whose lane is gone, or not in that state any
  // more, is skipped when met.
  std::deque<std::uint64_t> ready_;
  std::multimap<double, std::uint64_t> waiting_;
  std::uint64_t next_serial_ = 1;
  std::size_t in_flight_ = 0;
  std::size_t events_ = 0;
};

}  // namespace parley
