// The dialects behind make_dialect (dialect.cpp).
#pragma once

#include "dialect.hpp"

namespace loadgen {

std::unique_ptr<Dialect> make_native_dialect();
std::unique_ptr<Dialect> make_socketio_dialect();
std::unique_ptr<Dialect> make_bare_dialect();

}  // namespace loadgen
