# NetDextAddDext.cmake — building a DriverKit driver into a .dext bundle, as Xcode does.
#
#   netdext_add_dext(NAME
#       BUNDLE_ID com.example.MyDriver
#       IIG MyDriver.iig …                   interface files, run through netdext-iig
#       SOURCES MyDriver.cpp …               the driver's own sources
#       INFO_PLIST Info.plist                with Xcode's $(VARIABLE) build settings
#       ENTITLEMENTS MyDriver.entitlements
#       [VERSION 1]                          CURRENT_PROJECT_VERSION (CFBundleVersion)
#       [SHORT_VERSION 1.0]                  MARKETING_VERSION (CFBundleShortVersionString)
#       [GENERATE_INFOPLIST_FILE YES|NO]     generate the standard Info.plist keys (see below)
#       [VARIABLES KEY=VALUE …]              more build settings, e.g. INFOPLIST_KEY_<key>=…
#       [IIG_FLAGS flag …]                   extra netdext-iig arguments
#       [SIGN_IDENTITY team.identity])       sign the bundle with this netdext-codesign identity
#                                            (default: the cache variable NETDEXT_SIGN_IDENTITY;
#                                            empty: the bundle stays unsigned)
#
# Creates the target NAME: a MODULE library (NAME.so, no "lib" prefix) compiled against the SDK
# (NetDext::driverkit brings -fblocks and the BlocksRuntime under Clang), with the headers
# generated from the .iig files in ${CMAKE_CURRENT_BINARY_DIR}/NAME.iig.d on its include path.
# netdext-iig sees the target's include directories and compile definitions (-I, -D), as
# Xcode's iig sees the header search paths and preprocessor macros, so #if in an .iig agrees
# with the compiler. Linking refuses undefined symbols (-z defs), so a method declared in the
# .iig and never defined fails the build, not the load.
# Building NAME also assembles ${CMAKE_CURRENT_BINARY_DIR}/NAME.dext/ (DESIGN.md §6):
#     NAME.dext/Info.plist           build settings expanded and the standard keys generated,
#                                    as Xcode does; validated; written as XML
#     NAME.dext/<CFBundleExecutable> the driver's shared object
#     NAME.dext/Entitlements.plist
# The bundle is rebuilt when the sources, the .iig files, the plists or the settings change, and
# a plist that is not a valid property list fails the build.
# With an identity, `netdext-codesign -s IDENTITY --force` then seals every file of the bundle
# into NAME.dext/_CodeSignature/CodeResources (docs/codesign.md); a change of the identity file
# re-signs. The bundle directory is the target property NETDEXT_BUNDLE_DIR and the variable
# NAME_DEXT_BUNDLE in the caller's scope.
#
# Build settings defined for the plists (Xcode's names): PRODUCT_BUNDLE_IDENTIFIER (BUNDLE_ID),
# EXECUTABLE_NAME, PRODUCT_NAME, PRODUCT_MODULE_NAME, TARGET_NAME (all NAME),
# DEVELOPMENT_LANGUAGE (en), MARKETING_VERSION (SHORT_VERSION, default 1.0) and
# CURRENT_PROJECT_VERSION (VERSION, default 1) — the values Xcode's DriverKit template starts
# with —, PRODUCT_BUNDLE_PACKAGE_TYPE (DEXT). Modifiers such as
# $(PRODUCT_NAME:rfc1034identifier) work; an undefined $(VAR) expands to "" with a warning, as
# in Xcode (sdk/tools/netdext-bundle/src/build_settings.h).
# Info.plist generation (sdk/tools/netdext-bundle/src/info_plist.h): with
# GENERATE_INFOPLIST_FILE YES, CFBundleIdentifier, CFBundleExecutable, CFBundleName,
# CFBundlePackageType, CFBundleInfoDictionaryVersion, the versions and the keys of
# INFOPLIST_KEY_<key> settings (OSBundleUsageDescription, …) are generated and merged into
# INFO_PLIST, whose own values they replace. Unset, it is YES when INFO_PLIST lacks
# CFBundleIdentifier or CFBundleExecutable or an INFOPLIST_KEY_ setting is given, else NO.
#
# GCC cannot compile Apple's block literals (^{ … }): under GCC, netdext_add_dext warns when a
# source contains one; build such a driver with Clang (-DCMAKE_CXX_COMPILER=clang++).
#
#   netdext_target_iig(TARGET IIG a.iig … [OUTPUT_DIR dir] [IIG_FLAGS flag …])
#
# Adds generated code from .iig files to any existing target (netdext_add_dext uses it).
#
# Works in the netdext source tree and from an installed package (find_package(NetDext)): it
# needs only the targets NetDext::netdext-iig, NetDext::netdext-bundle and NetDext::driverkit
# (and NetDext::netdext-codesign to sign).
include_guard(GLOBAL)

set(NETDEXT_SIGN_IDENTITY "" CACHE FILEPATH
    "netdext-codesign identity that netdext_add_dext() signs bundles with (empty: unsigned)")

# Makes `target` depend on the tool behind `tool` when the tool is built in this project.
function(_netdext_depend_on_tool target tool)
    get_target_property(imported ${tool} IMPORTED)
    if(imported)
        return()
    endif()
    get_target_property(real ${tool} ALIASED_TARGET)
    if(NOT real)
        set(real ${tool})
    endif()
    add_dependencies(${target} ${real})
endfunction()

function(_netdext_require_targets caller)
    foreach(tool IN ITEMS ${ARGN})
        if(NOT TARGET ${tool})
            message(FATAL_ERROR "${caller}: target ${tool} does not exist; call "
                                "find_package(NetDext REQUIRED) first (or build inside the "
                                "netdext source tree)")
        endif()
    endforeach()
endfunction()

# Under GCC, says in one line where a source uses a block literal, which only Clang compiles.
function(_netdext_check_blocks_under_gcc caller)
    if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
        return()
    endif()
    foreach(source IN LISTS ARGN)
        get_filename_component(path ${source} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
        if(NOT EXISTS ${path})
            continue()
        endif()
        # A source that tests __BLOCKS__ has a GCC path of its own.
        file(STRINGS ${path} guarded REGEX "__BLOCKS__" LIMIT_COUNT 1)
        if(guarded)
            continue()
        endif()
        # ^{ … } or ^(args) { … }, outside // comments.
        file(STRINGS ${path} lines REGEX "\\^[ \t]*(\\([^()]*\\)[ \t]*)?{")
        foreach(line IN LISTS lines)
            string(REGEX REPLACE "//.*" "" code "${line}")
            if(code MATCHES "\\^[ \t]*(\\([^()]*\\)[ \t]*)?{")
                message(WARNING "${caller}: ${source} uses a block literal (^{ … }), which GCC "
                                "cannot compile: build this driver with Clang "
                                "(-DCMAKE_CXX_COMPILER=clang++), which netdext supports with "
                                "-fblocks and the BlocksRuntime")
                break()
            endif()
        endforeach()
    endforeach()
endfunction()

# The C++ compiler's predefined macros, as a header netdext-iig reads with -imacros: then #if in
# an .iig sees what the compiler sees (plus __IIG). Written once per build tree and compiler.
function(_netdext_compiler_macros out)
    set(file ${CMAKE_BINARY_DIR}/netdext-compiler-macros.h)
    set(flags -x c++ -std=c++20 -dM -E)
    if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
        list(APPEND flags -fblocks)
    endif()
    if(NOT EXISTS ${file} OR NOT "${NETDEXT_COMPILER_MACROS_FOR}" STREQUAL "${CMAKE_CXX_COMPILER};${flags}")
        execute_process(COMMAND ${CMAKE_CXX_COMPILER} ${flags} -
                        INPUT_FILE /dev/null OUTPUT_FILE ${file}
                        RESULT_VARIABLE result ERROR_VARIABLE error)
        if(NOT result EQUAL 0)
            message(WARNING "netdext: cannot list ${CMAKE_CXX_COMPILER}'s predefined macros "
                            "(${error}); #if in .iig files sees only -D and __IIG")
            file(WRITE ${file} "")
        endif()
        set(NETDEXT_COMPILER_MACROS_FOR "${CMAKE_CXX_COMPILER};${flags}" CACHE INTERNAL "")
    endif()
    set(${out} ${file} PARENT_SCOPE)
endfunction()

# The build settings Xcode defines for every target (the values its templates start with), into
# the list `out`.
function(_netdext_standard_settings out name bundle_id version short_version package_type)
    set(${out}
        PRODUCT_BUNDLE_IDENTIFIER=${bundle_id}
        EXECUTABLE_NAME=${name}
        PRODUCT_NAME=${name}
        PRODUCT_MODULE_NAME=${name}
        TARGET_NAME=${name}
        DEVELOPMENT_LANGUAGE=en
        MARKETING_VERSION=${short_version}
        CURRENT_PROJECT_VERSION=${version}
        PRODUCT_BUNDLE_PACKAGE_TYPE=${package_type}
        PARENT_SCOPE)
endfunction()

# The build settings go through a file: values such as "$(PRODUCT_NAME)" must reach
# netdext-bundle as written, which no build tool's command line guarantees. The file is rewritten
# only when it changes (it is a link dependency of the bundle's target).
function(_netdext_write_settings caller settings_file)
    set(settings_text "")
    foreach(setting IN LISTS ARGN)
        if(NOT setting MATCHES "^[A-Za-z_][A-Za-z0-9_]*=")
            message(FATAL_ERROR "${caller}: VARIABLES entries are KEY=VALUE, got '${setting}'")
        endif()
        if(setting MATCHES "\n")
            message(FATAL_ERROR "${caller}: build setting '${setting}' spans lines")
        endif()
        string(APPEND settings_text "${setting}\n")
    endforeach()
    set(previous_text "")
    if(EXISTS ${settings_file})
        file(READ ${settings_file} previous_text)
    endif()
    if(NOT previous_text STREQUAL settings_text)
        file(WRITE ${settings_file} "${settings_text}")
    endif()
endfunction()

function(netdext_target_iig target)
    cmake_parse_arguments(PARSE_ARGV 1 ARG "" "OUTPUT_DIR" "IIG;IIG_FLAGS")
    if(ARG_UNPARSED_ARGUMENTS)
        message(FATAL_ERROR "netdext_target_iig(${target}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
    endif()
    _netdext_require_targets("netdext_target_iig(${target})" NetDext::netdext-iig)
    if(NOT ARG_OUTPUT_DIR)
        set(ARG_OUTPUT_DIR ${CMAKE_CURRENT_BINARY_DIR}/${target}.iig.d)
    endif()
    file(MAKE_DIRECTORY ${ARG_OUTPUT_DIR})
    _netdext_compiler_macros(compiler_macros)
    set(source_dirs)
    foreach(iig IN LISTS ARG_IIG)
        get_filename_component(iig_path ${iig} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
        get_filename_component(stem ${iig_path} NAME_WLE)
        get_filename_component(iig_dir ${iig_path} DIRECTORY)
        list(APPEND source_dirs ${iig_dir})
        set(header ${ARG_OUTPUT_DIR}/${stem}.h)
        set(impl ${ARG_OUTPUT_DIR}/${stem}.iig.cpp)
        # As Xcode gives iig the header search paths and preprocessor macros.
        set(includes "$<TARGET_PROPERTY:${target},INCLUDE_DIRECTORIES>")
        set(definitions "$<TARGET_PROPERTY:${target},COMPILE_DEFINITIONS>")
        add_custom_command(
            OUTPUT ${header} ${impl}
            COMMAND NetDext::netdext-iig ${iig_path} --header ${header} --impl ${impl}
                    -imacros ${compiler_macros}
                    "$<$<BOOL:${includes}>:-I$<JOIN:${includes},;-I>>"
                    "$<$<BOOL:${definitions}>:-D$<JOIN:${definitions},;-D>>"
                    ${ARG_IIG_FLAGS}
            DEPENDS ${iig_path} NetDext::netdext-iig ${compiler_macros}
            COMMENT "netdext-iig ${iig}"
            COMMAND_EXPAND_LISTS
            VERBATIM)
        target_sources(${target} PRIVATE ${header} ${impl})
    endforeach()
    # Generated headers first, then the .iig directories (for the driver's own headers).
    list(REMOVE_DUPLICATES source_dirs)
    target_include_directories(${target} PRIVATE ${ARG_OUTPUT_DIR} ${source_dirs})
    _netdext_depend_on_tool(${target} NetDext::netdext-iig)
endfunction()

function(netdext_add_dext name)
    cmake_parse_arguments(PARSE_ARGV 1 ARG ""
        "BUNDLE_ID;INFO_PLIST;ENTITLEMENTS;VERSION;SHORT_VERSION;SIGN_IDENTITY;GENERATE_INFOPLIST_FILE"
        "IIG;SOURCES;VARIABLES;IIG_FLAGS")
    set(caller "netdext_add_dext(${name})")
    if(ARG_UNPARSED_ARGUMENTS)
        message(FATAL_ERROR "${caller}: unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
    endif()
    foreach(required BUNDLE_ID INFO_PLIST ENTITLEMENTS)
        if(NOT ARG_${required})
            message(FATAL_ERROR "${caller}: ${required} is required")
        endif()
    endforeach()
    if(NOT ARG_IIG AND NOT ARG_SOURCES)
        message(FATAL_ERROR "${caller}: give the driver's IIG and SOURCES files")
    endif()
    _netdext_require_targets("${caller}" NetDext::netdext-iig NetDext::netdext-bundle
                             NetDext::driverkit)
    if(NOT DEFINED ARG_VERSION)
        set(ARG_VERSION 1)
    endif()
    if(NOT DEFINED ARG_SHORT_VERSION)
        set(ARG_SHORT_VERSION 1.0)
    endif()
    get_filename_component(info_plist ${ARG_INFO_PLIST} ABSOLUTE
                           BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
    get_filename_component(entitlements ${ARG_ENTITLEMENTS} ABSOLUTE
                           BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
    foreach(file IN ITEMS ${info_plist} ${entitlements})
        if(NOT EXISTS ${file})
            message(FATAL_ERROR "${caller}: ${file} does not exist")
        endif()
    endforeach()

    _netdext_check_blocks_under_gcc("${caller}" ${ARG_SOURCES} ${ARG_IIG})

    # The driver: a shared object the host loads with dlopen.
    add_library(${name} MODULE ${ARG_SOURCES})
    # A symbol the driver declares but never defines fails the link, not the dlopen. (Not with
    # sanitizers: a shared object built with Clang's ASan leaves the runtime's symbols to the
    # executable.)
    get_target_property(driverkit_links NetDext::driverkit INTERFACE_LINK_OPTIONS)
    get_directory_property(directory_links LINK_OPTIONS)
    if(NOT "${driverkit_links};${directory_links};${CMAKE_CXX_FLAGS};${CMAKE_MODULE_LINKER_FLAGS}"
           MATCHES "-fsanitize")
        target_link_options(${name} PRIVATE -Wl,-z,defs)
    endif()
    set_target_properties(${name} PROPERTIES PREFIX "")
    target_link_libraries(${name} PRIVATE NetDext::driverkit)
    target_include_directories(${name} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
    if(ARG_IIG)
        netdext_target_iig(${name} IIG ${ARG_IIG} IIG_FLAGS ${ARG_IIG_FLAGS}
                           OUTPUT_DIR ${CMAKE_CURRENT_BINARY_DIR}/${name}.iig.d)
    endif()

    # The bundle, assembled after every link of the driver. The plists are link dependencies,
    # so that editing one re-runs the assembly; the settings are on the command line, which
    # the build tool also watches.
    set(bundle ${CMAKE_CURRENT_BINARY_DIR}/${name}.dext)
    _netdext_standard_settings(settings ${name} ${ARG_BUNDLE_ID} ${ARG_VERSION}
                               ${ARG_SHORT_VERSION} DEXT)
    if(DEFINED ARG_GENERATE_INFOPLIST_FILE)
        list(APPEND settings GENERATE_INFOPLIST_FILE=${ARG_GENERATE_INFOPLIST_FILE})
    endif()
    list(APPEND settings ${ARG_VARIABLES})
    set(settings_file ${CMAKE_CURRENT_BINARY_DIR}/${name}.dext-settings)
    _netdext_write_settings("${caller}" ${settings_file} ${settings})
    add_custom_command(TARGET ${name} POST_BUILD
        COMMAND NetDext::netdext-bundle
                --info-plist ${info_plist}
                --entitlements ${entitlements}
                --executable $<TARGET_FILE:${name}>
                --output ${bundle}
                --settings ${settings_file}
        COMMENT "Assembling ${name}.dext"
        VERBATIM)
    set_property(TARGET ${name} APPEND PROPERTY LINK_DEPENDS ${info_plist} ${entitlements}
                 ${settings_file})
    _netdext_depend_on_tool(${name} NetDext::netdext-bundle)

    # Signing, after the assembly (POST_BUILD commands run in order).
    if(NOT ARG_SIGN_IDENTITY)
        set(ARG_SIGN_IDENTITY "${NETDEXT_SIGN_IDENTITY}")
    endif()
    if(ARG_SIGN_IDENTITY)
        _netdext_require_targets("${caller}" NetDext::netdext-codesign)
        get_filename_component(identity ${ARG_SIGN_IDENTITY} ABSOLUTE
                               BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
        add_custom_command(TARGET ${name} POST_BUILD
            COMMAND NetDext::netdext-codesign -s ${identity} --force ${bundle}
            COMMENT "Signing ${name}.dext"
            VERBATIM)
        set_property(TARGET ${name} APPEND PROPERTY LINK_DEPENDS ${identity})
        _netdext_depend_on_tool(${name} NetDext::netdext-codesign)
        set_target_properties(${name} PROPERTIES NETDEXT_SIGN_IDENTITY ${identity})
    endif()
    set_target_properties(${name} PROPERTIES
        NETDEXT_BUNDLE_DIR ${bundle}
        NETDEXT_BUNDLE_ID ${ARG_BUNDLE_ID})
    set(${name}_DEXT_BUNDLE ${bundle} PARENT_SCOPE)
endfunction()
