// A connection's lease: what it takes (a seat in the limiter, a live socket,
// then on open a tracker entry and the connection gauges) and that it gives
// each back exactly once, however it ends. No sockets.
#include "net/connection_lease.hpp"

#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

namespace parley {
namespace {

using Count = ConnectionLease::Count;

// A session as the drain sees it: what it was asked.
struct RecordingSession final : Closable {
  void shutdown(unsigned short code) override { codes.push_back(code); }
  std::vector<unsigned short> codes;
};

class ConnectionLeaseTest : public ::testing::Test {
 protected:
  ConnectionLeaseTest() : context(ioc, counters) {}

  // A lease with a seat of `address` (one seat per address at most).
  ConnectionLease admit(const std::string& address = "192.0.2.1") {
    auto seat = context.limiter.try_acquire(address, 100, 1);
    EXPECT_TRUE(seat);
    return ConnectionLease(context, std::move(seat));
  }

  std::size_t seats() const { return context.limiter.open(); }
  std::int64_t live() const { return context.live_sockets.load(); }
  std::size_t tracked() const { return context.sessions.size(); }
  std::int64_t gauge() const { return counters.connections.load(); }
  std::uint64_t total() const { return counters.connections_total.load(); }

  boost::asio::io_context ioc;
  ConnectionCounters counters;
  NetContext context;
  std::shared_ptr<RecordingSession> session = std::make_shared<RecordingSession>();
};

TEST_F(ConnectionLeaseTest, TakesASeatAndALiveSocketAndGivesThemBackOnDestruction) {
  {
    auto lease = admit();
    EXPECT_EQ(seats(), 1u);
    EXPECT_EQ(live(), 1);
    EXPECT_EQ(tracked(), 0u);
    EXPECT_EQ(gauge(), 0);
    EXPECT_FALSE(lease.opened());
  }
  EXPECT_EQ(seats(), 0u);
  EXPECT_EQ(live(), 0);
}

TEST_F(ConnectionLeaseTest, OpeningTracksAndCountsTheSession) {
  auto lease = admit();
  lease.open(session, Count::new_connection);
  EXPECT_TRUE(lease.opened());
  EXPECT_EQ(tracked(), 1u);
  EXPECT_EQ(gauge(), 1);
  EXPECT_EQ(total(), 1u);
  // A second open changes nothing.
  lease.open(session, Count::new_connection);
  EXPECT_EQ(tracked(), 1u);
  EXPECT_EQ(gauge(), 1);
  EXPECT_EQ(total(), 1u);
  // The drain reaches it through the tracker.
  context.sessions.shutdown_all(1001);
  EXPECT_EQ(session->codes, std::vector<unsigned short>{1001});
}

TEST_F(ConnectionLeaseTest, HowAnOpenedSessionIsCounted) {
  auto continued = admit("192.0.2.1");
  continued.open(session, Count::open);
  EXPECT_EQ(gauge(), 1);
  EXPECT_EQ(total(), 0u);
  auto uncounted = admit("192.0.2.2");
  uncounted.open(session, Count::none);
  EXPECT_EQ(tracked(), 2u);
  EXPECT_EQ(gauge(), 1);
  EXPECT_EQ(total(), 0u);
  continued.release();
  uncounted.release();
  EXPECT_EQ(gauge(), 0);
  EXPECT_EQ(tracked(), 0u);
  EXPECT_EQ(live(), 0);
}

TEST_F(ConnectionLeaseTest, EndingTheSessionKeepsOnlyTheLiveSocket) {
  std::optional<ConnectionLease> lease = admit();
  lease->open(session, Count::new_connection);
  lease->end_session();
  EXPECT_FALSE(lease->opened());
  EXPECT_EQ(seats(), 0u);
  EXPECT_EQ(tracked(), 0u);
  EXPECT_EQ(gauge(), 0);
  EXPECT_EQ(total(), 1u);
  EXPECT_EQ(live(), 1);  // the close handshake may still run
  // The drain no longer asks the ended session, and the address may connect again.
  context.sessions.shutdown_all(1001);
  EXPECT_TRUE(session->codes.empty());
  EXPECT_TRUE(context.limiter.try_acquire("192.0.2.1", 100, 1));
  lease->end_session();  // nothing is given back twice
  EXPECT_EQ(gauge(), 0);
  lease.reset();
  EXPECT_EQ(live(), 0);
  EXPECT_EQ(total(), 1u);
}

TEST_F(ConnectionLeaseTest, GivingBackTheSeatKeepsTheTrackerEntryAndTheLiveSocket) {
  auto lease = admit();
  lease.open(session, Count::new_connection);
  lease.give_back_seat();  // an upgrade: the WebSocket's own lease counts from now on
  EXPECT_EQ(seats(), 0u);
  EXPECT_EQ(gauge(), 0);
  EXPECT_EQ(tracked(), 1u);
  EXPECT_TRUE(lease.opened());
  EXPECT_EQ(live(), 1);
  lease.release();
  EXPECT_EQ(tracked(), 0u);
  EXPECT_EQ(gauge(), 0);
  EXPECT_EQ(live(), 0);
}

TEST_F(ConnectionLeaseTest, ASeatHeldByALeaseEnforcesThePerAddressLimit) {
  auto lease = admit("192.0.2.1");
  EXPECT_FALSE(context.limiter.try_acquire("192.0.2.1", 100, 1));
  EXPECT_TRUE(context.limiter.try_acquire("192.0.2.2", 100, 1));
  lease.release();
  EXPECT_TRUE(context.limiter.try_acquire("192.0.2.1", 100, 1));
}

TEST_F(ConnectionLeaseTest, AMovedLeaseIsGivenBackOnceByItsLastHolder) {
  auto first = admit();
  first.open(session, Count::new_connection);
  ConnectionLease second(std::move(first));
  first.release();  // the moved-from lease holds nothing
  EXPECT_EQ(seats(), 1u);
  EXPECT_EQ(live(), 1);
  EXPECT_EQ(tracked(), 1u);
  EXPECT_EQ(gauge(), 1);
  EXPECT_TRUE(second.opened());

  // Assigning over a lease gives back what it held first.
  ConnectionLease third = admit("192.0.2.2");
  EXPECT_EQ(live(), 2);
  third = std::move(second);
  EXPECT_EQ(seats(), 1u);
  EXPECT_EQ(live(), 1);
  EXPECT_EQ(tracked(), 1u);
  EXPECT_EQ(gauge(), 1);
  third.release();
  third.release();
  EXPECT_EQ(seats(), 0u);
  EXPECT_EQ(live(), 0);
  EXPECT_EQ(tracked(), 0u);
  EXPECT_EQ(gauge(), 0);
  EXPECT_EQ(total(), 1u);
}

TEST_F(ConnectionLeaseTest, ALeaseWithoutASeatStillCountsItsSocket) {
  ConnectionLease lease(context, ConnectionLimiter::Slot{});
  lease.open(session, Count::none);
  EXPECT_EQ(seats(), 0u);
  EXPECT_EQ(live(), 1);
  EXPECT_EQ(tracked(), 1u);
  lease.release();
  EXPECT_EQ(live(), 0);
  EXPECT_EQ(tracked(), 0u);
}

TEST_F(ConnectionLeaseTest, AnEmptyLeaseGivesNothingBack) {
  ConnectionLease lease;
  lease.open(session, Count::new_connection);
  EXPECT_FALSE(lease.opened());
  lease.end_session();
  lease.release();
  EXPECT_EQ(live(), 0);
  EXPECT_EQ(gauge(), 0);
  EXPECT_EQ(tracked(), 0u);
}

}  // namespace
}  // namespace parley
