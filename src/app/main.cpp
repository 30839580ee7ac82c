// parleyd: reads the configuration (defaults < file < environment < command
// line), then runs the server until SIGTERM/SIGINT.
#include <iostream>

#include <spdlog/spdlog.h>

#include "config/cli.hpp"
#include "config/config.hpp"
#include "ops/logging.hpp"
#include "app/server.hpp"

int main(int argc, char** argv) {
  parley::CliOptions options;
  if (auto exit_code = parley::parse_command_line(argc, argv, options, std::cout, std::cerr))
    return *exit_code;

  const auto environment = parley::parley_environment();
  auto load = [&options, &environment] {
    return parley::load_config(options.config_file, environment, options.overrides);
  };
  parley::Config config;
  try {
    config = load();
  } catch (const parley::ConfigError& e) {
    std::cerr << "parleyd: invalid configuration:\n";
    for (const auto& problem : e.problems()) std::cerr << "  " << problem << '\n';
    return 1;
  }
  const auto warnings = parley::config_warnings(config, environment);
  if (options.check_config) {
    try {
      parley::check_startup_files(config);  // what the start would load: the TLS files
    } catch (const std::exception& e) {
      std::cerr << "parleyd: invalid configuration:\n  " << e.what() << '\n';
      return 1;
    }
    for (const auto& warning : warnings) std::cerr << "parleyd: warning: " << warning << '\n';
    std::cout << "configuration OK\n";
    return 0;
  }

  parley::setup_logging(config.log);
  for (const auto& warning : warnings) spdlog::warn("{}", warning);
  try {
    parley::Server server(config, load);
    server.start();
    server.handle_signals();
    server.run();
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 1;
  }
  return 0;
}
