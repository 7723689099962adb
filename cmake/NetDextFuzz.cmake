# netdext_add_fuzzer(NAME SOURCES … [LIBS …] [INCLUDES …] CORPUS dir [SECONDS n] [DICT file])
#
# A fuzz target (a LLVMFuzzerTestOneInput in SOURCES, with the code under test compiled in so
# that it gets coverage instrumentation). Under Clang with libFuzzer: the executable NAME and a
# bounded fuzzing ctest NAME_run (SECONDS, default 5) seeded from CORPUS, whose new inputs go to
# the build tree. Otherwise: NAME_replay, which runs CORPUS through the target once, under ASan and UBSan. Label "fuzz".
include_guard(GLOBAL)

if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    include(CheckCXXSourceCompiles)
    set(CMAKE_REQUIRED_FLAGS -fsanitize=fuzzer)
    check_cxx_source_compiles(
        "#include <cstdint>\n#include <cstddef>\nextern \"C\" int LLVMFuzzerTestOneInput(const uint8_t *, size_t) { return 0; }"
        NETDEXT_HAVE_LIBFUZZER)
    unset(CMAKE_REQUIRED_FLAGS)
endif()

function(netdext_add_fuzzer name)
    cmake_parse_arguments(PARSE_ARGV 1 ARG "" "CORPUS;SECONDS;DICT" "SOURCES;LIBS;INCLUDES")
    if(NOT ARG_SECONDS)
        set(ARG_SECONDS 5)
    endif()
    if(NETDEXT_HAVE_LIBFUZZER)
        set(target ${name})
        add_executable(${target} ${ARG_SOURCES})
        target_compile_options(${target} PRIVATE -fsanitize=fuzzer,address,undefined)
        target_link_options(${target} PRIVATE -fsanitize=fuzzer,address,undefined)
        set(work ${CMAKE_CURRENT_BINARY_DIR}/${name}-corpus)
        file(MAKE_DIRECTORY ${work})
        set(dict_arg)
        if(ARG_DICT)
            set(dict_arg -dict=${ARG_DICT})
        endif()
        add_test(NAME ${name}_run
                 COMMAND ${target} -max_total_time=${ARG_SECONDS} -timeout=10 -rss_limit_mb=2048
                         ${dict_arg} -artifact_prefix=${CMAKE_CURRENT_BINARY_DIR}/${name}-
                         ${work} ${ARG_CORPUS})
        set_tests_properties(${name}_run PROPERTIES LABELS fuzz TIMEOUT 120)
    else()
        set(target ${name}_replay)
        add_executable(${target} ${ARG_SOURCES}
                       ${PROJECT_SOURCE_DIR}/tests/support/fuzz_replay_main.cpp)
        # The replay runs under ASan and UBSan in every build (a crash-only replay misses stray
        # reads); the code under test is compiled in (SOURCES), so it is instrumented too.
        if(NOT NETDEXT_SANITIZE)
            target_compile_options(${target} PRIVATE -fsanitize=address,undefined
                                   -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
            target_link_options(${target} PRIVATE -fsanitize=address,undefined)
        endif()
        add_test(NAME ${target} COMMAND ${target} ${ARG_CORPUS})
        set_tests_properties(${target} PROPERTIES LABELS fuzz TIMEOUT 120)
    endif()
    netdext_warnings(${target})
    target_link_libraries(${target} PRIVATE ${ARG_LIBS})
    target_include_directories(${target} PRIVATE ${ARG_INCLUDES})
    target_compile_features(${target} PRIVATE cxx_std_20)
endfunction()
