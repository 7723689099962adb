# NetDextIncludeTree.cmake — what the SDK's include tree holds besides the headers themselves,
# generated at configure time into ${NETDEXT_GENERATED_INCLUDE_DIR} (and installed beside the
# headers), never committed:
#
#   - Framework/X.iig for every Framework/X.h that declares class X, as Apple's SDK ships its
#     .iig files: `#include <NetworkingDriverKit/IOUserNetworkEthernet.iig>` resolves from a .cpp
#     too (netdext-iig itself reads <X.iig> as <X.h>). Each one includes its header.
#   - Case variants of the framework folder names (NetworkingDriverkit/, driverkit/, …) as
#     symbolic links: macOS file systems are case-insensitive, so sources written there may
#     spell them so (file names inside keep their case).
#
#   netdext_generate_include_tree(SOURCE_DIR dir OUTPUT_DIR dir)
include_guard(GLOBAL)

# Every spelling of `name` that differs in the case of a capitalized word's first letter
# (NetworkingDriverkit, USBDriverkit, …; an acronym such as USB stays), plus all lower case.
function(_netdext_case_variants name out)
    string(REGEX MATCHALL "[A-Z][a-z0-9]+" words "${name}")
    set(variants "")
    list(LENGTH words count)
    math(EXPR combinations "(1 << ${count}) - 1")
    foreach(mask RANGE 0 ${combinations})
        set(spelled "${name}")
        set(bit 0)
        foreach(word IN LISTS words)
            math(EXPR lower "(${mask} >> ${bit}) & 1")
            if(lower)
                string(SUBSTRING "${word}" 0 1 first)
                string(SUBSTRING "${word}" 1 -1 rest)
                string(TOLOWER "${first}" first)
                string(REPLACE "${word}" "${first}${rest}" spelled "${spelled}")
            endif()
            math(EXPR bit "${bit} + 1")
        endforeach()
        list(APPEND variants "${spelled}")
    endforeach()
    string(TOLOWER "${name}" all_lower)
    list(APPEND variants "${all_lower}")
    list(REMOVE_DUPLICATES variants)
    list(REMOVE_ITEM variants "${name}")
    set(${out} ${variants} PARENT_SCOPE)
endfunction()

function(netdext_generate_include_tree)
    cmake_parse_arguments(ARG "" "SOURCE_DIR;OUTPUT_DIR" "" ${ARGN})
    file(GLOB frameworks LIST_DIRECTORIES true RELATIVE ${ARG_SOURCE_DIR}
         CONFIGURE_DEPENDS ${ARG_SOURCE_DIR}/*Kit)
    file(REMOVE_RECURSE ${ARG_OUTPUT_DIR})
    set(aliases "")
    foreach(framework IN LISTS frameworks)
        if(NOT IS_DIRECTORY ${ARG_SOURCE_DIR}/${framework})
            continue()
        endif()
        file(GLOB headers CONFIGURE_DEPENDS ${ARG_SOURCE_DIR}/${framework}/*.h)
        foreach(header IN LISTS headers)
            get_filename_component(class ${header} NAME_WE)
            file(STRINGS ${header} declares REGEX "^class ${class}( |:|$)" LIMIT_COUNT 1)
            if(declares)
                file(WRITE ${ARG_OUTPUT_DIR}/${framework}/${class}.iig
                     "/* ${framework}/${class}.iig — netdext declares ${class} in its header. */\n"
                     "#include <${framework}/${class}.h>\n")
            endif()
        endforeach()
        _netdext_case_variants(${framework} variants)
        foreach(variant IN LISTS variants)
            # The real framework folder and the generated .iig files, under the other name.
            file(MAKE_DIRECTORY ${ARG_OUTPUT_DIR}/${variant})
            foreach(entry IN ITEMS ${ARG_SOURCE_DIR}/${framework} ${ARG_OUTPUT_DIR}/${framework})
                file(GLOB files ${entry}/*)
                foreach(file IN LISTS files)
                    get_filename_component(leaf ${file} NAME)
                    file(CREATE_LINK ${file} ${ARG_OUTPUT_DIR}/${variant}/${leaf} SYMBOLIC)
                endforeach()
            endforeach()
            list(APPEND aliases "${variant}=${framework}")
        endforeach()
    endforeach()
    set(NETDEXT_FRAMEWORK_ALIASES ${aliases} PARENT_SCOPE)
endfunction()

# Installs the generated .iig files beside the headers and the folder aliases as relative links.
function(netdext_install_include_tree)
    cmake_parse_arguments(ARG "" "OUTPUT_DIR;DESTINATION" "ALIASES" ${ARGN})
    file(GLOB frameworks LIST_DIRECTORIES true RELATIVE ${ARG_OUTPUT_DIR} ${ARG_OUTPUT_DIR}/*)
    foreach(alias IN LISTS ARG_ALIASES)
        string(REPLACE "=" ";" pair "${alias}")
        list(GET pair 0 variant)
        list(REMOVE_ITEM frameworks ${variant})
    endforeach()
    foreach(framework IN LISTS frameworks)
        install(DIRECTORY ${ARG_OUTPUT_DIR}/${framework} DESTINATION ${ARG_DESTINATION})
    endforeach()
    foreach(alias IN LISTS ARG_ALIASES)
        string(REPLACE "=" ";" pair "${alias}")
        list(GET pair 0 variant)
        list(GET pair 1 framework)
        set(link "\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${ARG_DESTINATION}/${variant}")
        install(CODE "file(REMOVE \"${link}\")\nfile(CREATE_LINK ${framework} \"${link}\" SYMBOLIC)")
    endforeach()
endfunction()
