# Included from tests/CMakeLists.txt: in an ordinary build (gcc, usually with
# -DPARLEY_SANITIZE=ON) every fuzz target is compiled with a small replay main()
# and run over its committed seed corpus as the ctest test fuzz_replay.NAME, so
# past findings stay fixed without clang or libFuzzer.
include(${CMAKE_CURRENT_LIST_DIR}/targets.cmake)

foreach(name IN LISTS PARLEY_FUZZ_TARGETS)
  add_executable(fuzz_replay_${name} ${CMAKE_CURRENT_LIST_DIR}/replay_main.cpp
                                     ${CMAKE_CURRENT_LIST_DIR}/fuzz_${name}.cpp)
  target_link_libraries(fuzz_replay_${name} PRIVATE parley_core)
  target_compile_options(fuzz_replay_${name} PRIVATE -Wall -Wextra)
  add_test(NAME fuzz_replay.${name}
           COMMAND fuzz_replay_${name} ${CMAKE_CURRENT_LIST_DIR}/corpus/${name})
  set_tests_properties(fuzz_replay.${name} PROPERTIES LABELS fuzz TIMEOUT 300)
endforeach()
