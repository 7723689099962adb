# NetDextAddApp.cmake — building an installer app into an app bundle, as Xcode builds a Mac app
# that carries system extensions (DESIGN.md §10, docs/apps.md).
#
#   netdext_add_app(NAME
#       BUNDLE_ID com.example.MyInstaller
#       SOURCES main.cpp …                   the app's own sources
#       INFO_PLIST Info.plist                with Xcode's $(VARIABLE) build settings
#       ENTITLEMENTS MyInstaller.entitlements  com.apple.developer.system-extension.install
#       [EXTENSIONS MyDriver …]              netdext_add_dext() targets to carry
#       [RESOURCES index.html …]             files for Contents/Resources
#       [VERSION 1] [SHORT_VERSION 1.0]      CURRENT_PROJECT_VERSION / MARKETING_VERSION
#       [VARIABLES KEY=VALUE …])             more build settings
#
# Creates the executable target NAME (link what else it needs with target_link_libraries), linked
# against NetDext::SystemExtensions straight into ${CMAKE_CURRENT_BINARY_DIR}/NAME.app, and after
# every link completes the bundle with `netdext-bundle --app`:
#     NAME.app/Contents/Info.plist                     settings expanded, standard keys generated
#                                                      (CFBundlePackageType APPL), validated
#     NAME.app/Contents/Entitlements.plist
#     NAME.app/Contents/MacOS/NAME
#     NAME.app/Contents/Library/SystemExtensions/<bundle ID>.dext   each of EXTENSIONS, copied (and
#                                                      signed, if it was signed)
#     NAME.app/Contents/Resources/…
# A change to an extension, a plist or a resource relinks the app, which re-assembles the bundle.
# The bundle directory is the target property NETDEXT_APP_BUNDLE and the variable NAME_APP_BUNDLE
# in the caller's scope. netdextd lets an app activate extensions only from its own bundle, with
# the entitlement, and from the applications directory (netdextd --applications-dir, default
# /opt/Applications): copy NAME.app there (or turn developer mode on while developing).
#
# Works in the netdext source tree and from an installed package (find_package(NetDext)).
include_guard(GLOBAL)
include(${CMAKE_CURRENT_LIST_DIR}/NetDextAddDext.cmake) # the _netdext_… helpers

function(netdext_add_app name)
    cmake_parse_arguments(PARSE_ARGV 1 ARG ""
        "BUNDLE_ID;INFO_PLIST;ENTITLEMENTS;VERSION;SHORT_VERSION"
        "SOURCES;EXTENSIONS;RESOURCES;VARIABLES")
    set(caller "netdext_add_app(${name})")
    if(ARG_UNPARSED_ARGUMENTS)
        message(FATAL_ERROR "${caller}: unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
    endif()
    foreach(required BUNDLE_ID INFO_PLIST ENTITLEMENTS SOURCES)
        if(NOT ARG_${required})
            message(FATAL_ERROR "${caller}: ${required} is required")
        endif()
    endforeach()
    _netdext_require_targets("${caller}" NetDext::netdext-bundle NetDext::SystemExtensions)
    if(NOT DEFINED ARG_VERSION)
        set(ARG_VERSION 1)
    endif()
    if(NOT DEFINED ARG_SHORT_VERSION)
        set(ARG_SHORT_VERSION 1.0)
    endif()
    set(inputs)
    foreach(kind IN ITEMS INFO_PLIST ENTITLEMENTS)
        get_filename_component(path ${ARG_${kind}} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
        if(NOT EXISTS ${path})
            message(FATAL_ERROR "${caller}: ${path} does not exist")
        endif()
        set(${kind}_path ${path})
        list(APPEND inputs ${path})
    endforeach()
    set(bundle_args)
    foreach(resource IN LISTS ARG_RESOURCES)
        get_filename_component(path ${resource} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
        if(NOT EXISTS ${path})
            message(FATAL_ERROR "${caller}: resource ${path} does not exist")
        endif()
        list(APPEND bundle_args --resource ${path})
        list(APPEND inputs ${path})
    endforeach()

    set(bundle ${CMAKE_CURRENT_BINARY_DIR}/${name}.app)
    add_executable(${name} ${ARG_SOURCES})
    set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${bundle}/Contents/MacOS)
    # Multi-config generators would add a per-configuration directory: not inside an app.
    foreach(config IN LISTS CMAKE_CONFIGURATION_TYPES)
        string(TOUPPER ${config} config)
        set_target_properties(${name} PROPERTIES
            RUNTIME_OUTPUT_DIRECTORY_${config} ${bundle}/Contents/MacOS)
    endforeach()
    target_link_libraries(${name} PRIVATE NetDext::SystemExtensions)

    foreach(dext IN LISTS ARG_EXTENSIONS)
        if(NOT TARGET ${dext})
            message(FATAL_ERROR "${caller}: EXTENSIONS names ${dext}, which is no target")
        endif()
        get_target_property(dext_bundle ${dext} NETDEXT_BUNDLE_DIR)
        if(NOT dext_bundle)
            message(FATAL_ERROR "${caller}: ${dext} was not made by netdext_add_dext()")
        endif()
        add_dependencies(${name} ${dext})
        list(APPEND bundle_args --extension ${dext_bundle})
        # The driver's shared object changes whenever its bundle is assembled again.
        list(APPEND inputs $<TARGET_FILE:${dext}>)
    endforeach()

    _netdext_standard_settings(settings ${name} ${ARG_BUNDLE_ID} ${ARG_VERSION}
                               ${ARG_SHORT_VERSION} APPL)
    list(APPEND settings ${ARG_VARIABLES})
    set(settings_file ${CMAKE_CURRENT_BINARY_DIR}/${name}.app-settings)
    _netdext_write_settings("${caller}" ${settings_file} ${settings})
    list(APPEND inputs ${settings_file})

    add_custom_command(TARGET ${name} POST_BUILD
        COMMAND NetDext::netdext-bundle --app
                --info-plist ${INFO_PLIST_path}
                --entitlements ${ENTITLEMENTS_path}
                --output ${bundle}
                --settings ${settings_file}
                ${bundle_args}
        COMMENT "Assembling ${name}.app"
        VERBATIM)
    set_property(TARGET ${name} APPEND PROPERTY LINK_DEPENDS ${inputs})
    _netdext_depend_on_tool(${name} NetDext::netdext-bundle)
    set_target_properties(${name} PROPERTIES NETDEXT_APP_BUNDLE ${bundle})
    set(${name}_APP_BUNDLE ${bundle} PARENT_SCOPE)
endfunction()
