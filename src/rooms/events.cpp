#include "rooms/events.hpp"

namespace parley {

std::string_view to_string(LeaveReason reason) {
  switch (reason) {
    case LeaveReason::leave:
      return "leave";
    case LeaveReason::disconnect:
      return "disconnect";
    case LeaveReason::timeout:
      return "timeout";
    case LeaveReason::kicked:
      return "kicked";
  }
  return "disconnect";
}

}  // namespace parley
