# Operations checks (label `ops`): the systemd unit, the development certificate
# script and the token script. Shell scripts under tests/ops/; exit code 77 means
# the tool they need is missing, which ctest reports as skipped.
# Included from tests/CMakeLists.txt.
find_program(PARLEY_BASH bash REQUIRED)

add_test(NAME ops.systemd-unit
  COMMAND ${PARLEY_BASH} ${CMAKE_CURRENT_LIST_DIR}/ops/systemd_unit.sh
          ${PROJECT_SOURCE_DIR}/config/parleyd.service)
add_test(NAME ops.dev-cert
  COMMAND ${PARLEY_BASH} ${CMAKE_CURRENT_LIST_DIR}/ops/dev_cert.sh
          ${PROJECT_SOURCE_DIR}/scripts/dev-cert)
add_test(NAME ops.make-token
  COMMAND ${PARLEY_BASH} ${CMAKE_CURRENT_LIST_DIR}/ops/make_token.sh
          ${PROJECT_SOURCE_DIR}/scripts/make-token)
set_tests_properties(ops.systemd-unit ops.dev-cert ops.make-token PROPERTIES
  LABELS ops SKIP_RETURN_CODE 77 TIMEOUT 120)

# The container image: built with podman from local Debian base images, run,
# probed with a join/relay exchange, stopped with SIGTERM (label docker; slow:
# it compiles parleyd inside the image). scripts/test skips it with
# PARLEY_SKIP_DOCKER=1.
add_test(NAME ops.docker-smoke
  COMMAND ${PARLEY_BASH} ${PROJECT_SOURCE_DIR}/scripts/docker-smoke
  WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
# Its WebSocket clients use tests/node_modules (the `ws` package): after node.npm-ci.
set_tests_properties(ops.docker-smoke PROPERTIES
  LABELS "ops;docker" TIMEOUT 2700 RUN_SERIAL TRUE FIXTURES_REQUIRED parley_node_modules)
