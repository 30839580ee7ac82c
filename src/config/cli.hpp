// The daemon's command line: which configuration file to read, the overrides
// of the public listener, and the options that answer and exit at once.
#pragma once

#include <optional>
#include <ostream>
#include <string>

#include "config/config.hpp"

namespace parley {

struct CliOptions {
  std::string config_file;  // empty: built-in defaults (and the environment)
  CommandLineOverrides overrides;
  bool check_config = false;  // validate the configuration, report, and exit 0 or 1
};

// Parses `argv` into `out`. Returns the exit code when the process should stop
// at once: 0 after --help or --version (printed to `out_stream`), 2 after a
// usage error (printed to `err_stream`); nullopt when the daemon should go on.
std::optional<int> parse_command_line(int argc, char** argv, CliOptions& out,
                                      std::ostream& out_stream, std::ostream& err_stream);

}  // namespace parley
