// Command-line parsing with CLI11.
#include "config/cli.hpp"

#include <CLI/CLI.hpp>

namespace parley {
namespace {

// The exit status most Unix tools give a usage error (shell builtins, grep,
// diff); CLI11's own codes differ by kind of error, which scripts cannot use.
constexpr int kUsageErrorExitCode = 2;

}  // namespace

std::optional<int> parse_command_line(int argc, char** argv, CliOptions& out,
                                      std::ostream& out_stream, std::ostream& err_stream) {
  CLI::App app{
      "parleyd: a WebRTC signaling server (rooms over WebSocket, socket.io, Redis "
      "clusters).\nEvery setting can also come from PARLEY_<SECTION>_<KEY> environment "
      "variables;\nthe command line wins over the environment, which wins over the file.",
      "parleyd"};
  app.set_version_flag("--version", std::string("parleyd ") + PARLEY_VERSION,
                       "Print the version and exit");

  app.add_option("--config", out.config_file,
                 "JSON configuration file (// comments allowed); without it, built-in defaults")
      ->type_name("FILE");
  std::string address;
  auto* address_option = app.add_option("--address", address,
                                        "Address of the public listener (overrides "
                                        "listen.address)")
                             ->type_name("ADDRESS");
  int port = 0;
  auto* port_option = app.add_option("--port", port,
                                     "Port of the public listener, 0 lets the kernel pick one "
                                     "(overrides listen.port)")
                          ->type_name("PORT")
                          ->check(CLI::Range(0, 65535));
  app.add_flag("--check-config", out.check_config,
               "Check the configuration, print what is wrong, exit 0 (valid) or 1");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    return app.exit(help, out_stream, err_stream);
  } catch (const CLI::CallForVersion& version) {
    return app.exit(version, out_stream, err_stream);
  } catch (const CLI::ParseError& error) {
    app.exit(error, out_stream, err_stream);  // prints the error and a hint to --help
    return kUsageErrorExitCode;
  }

  if (address_option->count() > 0) out.overrides.address = address;
  if (port_option->count() > 0) out.overrides.port = static_cast<std::uint16_t>(port);
  return std::nullopt;
}

}  // namespace parley
