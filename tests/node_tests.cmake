# Node.js tests: every tests/e2e/*.test.mjs (Chromium driven by playwright-core),
# every tests/node/*.test.mjs and every tests/cluster_lb/*.test.mjs (the cluster
# behind Debian's haproxy, with redis-server; label cluster) becomes one ctest
# test, node.<name>, run with node's own test runner. They need tests/node_modules,
# which the fixture test node.npm-ci installs from the committed package-lock.json
# when it is missing or stale.
#
# Included by tests/CMakeLists.txt. Run with `cmake -P` it is the fixture itself:
#   cmake -DNPM=/usr/bin/npm -DTESTS_DIR=/path/to/tests -P node_tests.cmake

if(CMAKE_SCRIPT_MODE_FILE)
  # --- fixture: npm ci, unless node_modules is newer than the lockfile -------------
  # npm writes node_modules/.package-lock.json on every install: its age is the age
  # of the installed tree.
  set(lockfile "${TESTS_DIR}/package-lock.json")
  set(installed "${TESTS_DIR}/node_modules/.package-lock.json")
  if(EXISTS "${installed}" AND NOT "${lockfile}" IS_NEWER_THAN "${installed}")
    message(STATUS "tests/node_modules is up to date with package-lock.json")
    return()
  endif()
  message(STATUS "npm ci in ${TESTS_DIR}")
  execute_process(
    COMMAND "${NPM}" ci --no-audit --no-fund
    WORKING_DIRECTORY "${TESTS_DIR}"
    RESULT_VARIABLE npm_result)
  if(NOT npm_result EQUAL 0)
    message(FATAL_ERROR "npm ci failed (${npm_result})")
  endif()
  return()
endif()

find_program(PARLEY_NODE node)
find_program(PARLEY_NPM npm)
if(NOT PARLEY_NODE OR NOT PARLEY_NPM)
  message(STATUS "node or npm not found: the Node.js tests are not registered (scripts/install-deps)")
  return()
endif()

set(PARLEY_NODE_TESTS_DIR "${PROJECT_SOURCE_DIR}/tests")

add_test(NAME node.npm-ci
  COMMAND "${CMAKE_COMMAND}" -DNPM=${PARLEY_NPM} -DTESTS_DIR=${PARLEY_NODE_TESTS_DIR}
          -P "${CMAKE_CURRENT_LIST_FILE}")
set_tests_properties(node.npm-ci PROPERTIES
  FIXTURES_SETUP parley_node_modules
  LABELS e2e
  TIMEOUT 600)

file(GLOB PARLEY_E2E_TEST_FILES CONFIGURE_DEPENDS "${PARLEY_NODE_TESTS_DIR}/e2e/*.test.mjs")
file(GLOB PARLEY_NODE_TEST_FILES CONFIGURE_DEPENDS "${PARLEY_NODE_TESTS_DIR}/node/*.test.mjs")
file(GLOB PARLEY_CLUSTER_LB_TEST_FILES CONFIGURE_DEPENDS
  "${PARLEY_NODE_TESTS_DIR}/cluster_lb/*.test.mjs")

set(parley_node_test_names "")
foreach(test_file IN LISTS PARLEY_E2E_TEST_FILES PARLEY_NODE_TEST_FILES
                           PARLEY_CLUSTER_LB_TEST_FILES)
  get_filename_component(test_dir "${test_file}" DIRECTORY)
  get_filename_component(test_dir "${test_dir}" NAME)
  get_filename_component(test_name "${test_file}" NAME)
  string(REGEX REPLACE "\\.test\\.mjs$" "" test_name "${test_name}")
  # The same file name in e2e/ and node/ must not make two tests of one name.
  if(test_name IN_LIST parley_node_test_names)
    set(test_name "${test_dir}.${test_name}")
  endif()
  list(APPEND parley_node_test_names "${test_name}")

  add_test(NAME node.${test_name}
    COMMAND "${PARLEY_NODE}" --test --test-reporter=spec "${test_file}"
    WORKING_DIRECTORY "${PARLEY_NODE_TESTS_DIR}")
  set_tests_properties(node.${test_name} PROPERTIES
    FIXTURES_REQUIRED parley_node_modules
    ENVIRONMENT "PARLEYD=$<TARGET_FILE:parleyd>;PARLEY_SOURCE_DIR=${PROJECT_SOURCE_DIR}"
    LABELS e2e
    TIMEOUT 240)
  if(test_dir STREQUAL "cluster_lb")
    # They start redis-server and haproxy like the C++ cluster tests start redis-server.
    set_tests_properties(node.${test_name} PROPERTIES LABELS cluster)
  elseif(test_dir STREQUAL "e2e")
    # Two Chromiums with fake cameras on two cores starve each other's WebRTC.
    set_tests_properties(node.${test_name} PROPERTIES RESOURCE_LOCK chromium)
  endif()
endforeach()
