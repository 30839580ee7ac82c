# The benchmark kit in the test suite, for tests/CMakeLists.txt to include
# (after parleyd and GoogleTest are known):
#   bench.smoke            the load generator against a fresh parleyd, about a
#                          second per mode, asserting correctness only (no
#                          message lost, duplicated, reordered or
#                          mis-attributed; every session joined), never speed;
#   bench.<Suite>.<Test>   unit tests of the generator's parts (no sockets).
include(${CMAKE_CURRENT_LIST_DIR}/loadgen.cmake)

add_test(NAME bench.smoke
  COMMAND ${CMAKE_CURRENT_LIST_DIR}/smoke-test.sh $<TARGET_FILE:parleyd> $<TARGET_FILE:parley_loadgen>)
set_tests_properties(bench.smoke PROPERTIES LABELS "integration;bench" TIMEOUT 300)

file(GLOB PARLEY_BENCH_TEST_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/tests/*.cpp)
add_executable(parley_bench_tests ${PARLEY_BENCH_TEST_SOURCES})
target_link_libraries(parley_bench_tests PRIVATE parley_loadgen_lib GTest::gtest GTest::gtest_main)
target_compile_options(parley_bench_tests PRIVATE ${PARLEY_WARNINGS})
gtest_discover_tests(parley_bench_tests TEST_PREFIX "bench." DISCOVERY_TIMEOUT 60
  PROPERTIES LABELS "unit;bench")
