# The fuzz targets: each NAME is fuzz_NAME.cpp with its seed corpus in
# corpus/NAME/. Shared by CMakeLists.txt (libFuzzer builds) and replay.cmake
# (the corpus replayed as a test in ordinary builds).
set(PARLEY_FUZZ_TARGETS client_message session jwt static_path tls_records)
