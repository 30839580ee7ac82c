// Immutable text shared by every queue that holds it: a frame built once and
// sent to many connections, or kept for a resume, without a copy.
#pragma once

#include <memory>
#include <string>

namespace parley {

using SharedText = std::shared_ptr<const std::string>;

}  // namespace parley
