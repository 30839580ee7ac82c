#include "dialect.hpp"

#include "dialect_factories.hpp"

namespace loadgen {

std::unique_ptr<Dialect> make_dialect(std::string_view name) {
  if (name == "native" || name == "v1") return make_native_dialect();  // v1: old name
  if (name == "sio") return make_socketio_dialect();
  if (name == "bare" || name == "framed") return make_bare_dialect();
  return nullptr;
}

}  // namespace loadgen
