# netdext_add_gtest(NAME SOURCES … LIBS … [LABELS …])
# One GoogleTest executable whose cases ctest sees individually. Tests that need root carry the
# label "root"; the driver-author-facing ones carry "bench".
function(netdext_add_gtest name)
    cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
    add_executable(${name} ${ARG_SOURCES})
    netdext_warnings(${name})
    target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gtest_main Threads::Threads)
    target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests/support)
    if(NOT ARG_TIMEOUT)
        set(ARG_TIMEOUT 120)
    endif()
    gtest_discover_tests(${name}
        PROPERTIES TIMEOUT ${ARG_TIMEOUT} LABELS "${ARG_LABELS}"
        DISCOVERY_TIMEOUT 60)
endfunction()

# All *_test.cpp files of DIR (plus DIR/support/*.cpp) as one test executable.
function(netdext_add_test_dir name dir)
    cmake_parse_arguments(ARG "" "TIMEOUT" "LIBS;LABELS" ${ARGN})
    file(GLOB sources CONFIGURE_DEPENDS ${dir}/*_test.cpp ${dir}/support/*.cpp)
    if(sources)
        netdext_add_gtest(${name} SOURCES ${sources} LIBS ${ARG_LIBS} LABELS ${ARG_LABELS}
                          TIMEOUT ${ARG_TIMEOUT})
    endif()
endfunction()
