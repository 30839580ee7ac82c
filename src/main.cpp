// parleyd: reads the configuration (defaults < file < environment < command
// line), then runs the server until SIGTERM/SIGINT.
#include <iostream>

#include <spdlog/spdlog.h>

#include "parley/cli.hpp"
#include "parley/config.hpp"
#include "parley/logging.hpp"
#include "parley/server.hpp"

int main(int argc, char** argv) {
  parley::CliOptions options;
  if (auto exit_code = parley::parse_command_line(argc, argv, options, std::cout, std::cerr))
    return *exit_code;

  auto load = [&options] {
    return parley::load_config(options.config_file, parley::parley_environment(), options.overrides);
  };
  parley::Config config;
  try {
    config = load();
  } catch (const parley::ConfigError& e) {
    std::cerr << "parleyd: invalid configuration:\n";
    for (const auto& problem : e.problems()) std::cerr << "  " << problem << '\n';
    return 1;
  }
  if (options.check_config) {
    std::cout << "configuration OK\n";
    return 0;
  }

  parley::setup_logging(config.log);
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
