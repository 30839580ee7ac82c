# The load generator, on its own so that both bench/CMakeLists.txt and the
# smoke test (bench/smoke.cmake, included from tests/) can define it. Asio and
# Beast come precompiled from parley_core (its src/base/boost_impl.cpp), so the
# generator costs no second build of them.
include_guard(GLOBAL)

file(GLOB PARLEY_LOADGEN_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/loadgen/*.cpp)
list(REMOVE_ITEM PARLEY_LOADGEN_SOURCES ${CMAKE_CURRENT_LIST_DIR}/loadgen/main.cpp)
add_library(parley_loadgen_lib STATIC ${PARLEY_LOADGEN_SOURCES})
target_include_directories(parley_loadgen_lib PUBLIC ${CMAKE_CURRENT_LIST_DIR}/loadgen)
target_link_libraries(parley_loadgen_lib PUBLIC parley_core)
target_compile_features(parley_loadgen_lib PUBLIC cxx_std_20)
target_compile_options(parley_loadgen_lib PRIVATE ${PARLEY_WARNINGS})
target_precompile_headers(parley_loadgen_lib PRIVATE ${CMAKE_CURRENT_LIST_DIR}/loadgen/pch.hpp)

add_executable(parley_loadgen ${CMAKE_CURRENT_LIST_DIR}/loadgen/main.cpp)
target_link_libraries(parley_loadgen PRIVATE parley_loadgen_lib)
target_compile_options(parley_loadgen PRIVATE ${PARLEY_WARNINGS})
set_target_properties(parley_loadgen PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bench)
