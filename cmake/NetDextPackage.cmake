# Install rules and the NetDext CMake package: headers, libdriverkit, the tools, and
# netdext_add_dext(), so that an out-of-tree project can do find_package(NetDext).
include(CMakePackageConfigHelpers)

set(NETDEXT_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/NetDext)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/sdk/include/ ${PROJECT_SOURCE_DIR}/shm/include/
                  ${PROJECT_SOURCE_DIR}/common/include/
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/netdext)

# Every target a component marked for installation (set_property(GLOBAL APPEND PROPERTY
# NETDEXT_EXPORTED_TARGETS …)) goes into one export set.
get_property(netdext_exported GLOBAL PROPERTY NETDEXT_EXPORTED_TARGETS)
# Installed programs and libraries find netdext's shared libraries beside them.
foreach(target IN LISTS netdext_exported ITEMS driverkit)
    set_target_properties(${target} PROPERTIES INSTALL_RPATH "$ORIGIN/../${CMAKE_INSTALL_LIBDIR}")
endforeach()
install(TARGETS driverkit ${netdext_exported}
        EXPORT NetDextTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/netdext)
# Helper executables users never start themselves (netdext-host) live in libexec/netdext.
get_property(netdext_libexec GLOBAL PROPERTY NETDEXT_LIBEXEC_TARGETS)
if(netdext_libexec)
    install(TARGETS ${netdext_libexec} EXPORT NetDextTargets
            RUNTIME DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/netdext)
endif()
install(EXPORT NetDextTargets NAMESPACE NetDext:: DESTINATION ${NETDEXT_CMAKE_DIR})

# netdextd as a systemd service, and the admin group it checks (systemd-sysusers).
if(TARGET netdextd)
    # Written at install time, so that ExecStart names the prefix installed into.
    install(CODE "
        set(NETDEXT_BINDIR \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}\")
        set(NETDEXT_DOCDIR \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_DOCDIR}\")
        configure_file(\"${PROJECT_SOURCE_DIR}/packaging/systemd/netdextd.service.in\"
                       \"${PROJECT_BINARY_DIR}/packaging/netdextd.service\" @ONLY)")
    install(FILES ${PROJECT_BINARY_DIR}/packaging/netdextd.service
            DESTINATION lib/systemd/system)
    install(FILES ${PROJECT_SOURCE_DIR}/packaging/systemd/netdext-sysusers.conf
            DESTINATION lib/sysusers.d RENAME netdext.conf)
    install(FILES ${PROJECT_SOURCE_DIR}/packaging/netdextd.conf.example
            DESTINATION ${CMAKE_INSTALL_DOCDIR})
endif()

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/NetDextConfig.cmake.in
    ${PROJECT_BINARY_DIR}/NetDextConfig.cmake INSTALL_DESTINATION ${NETDEXT_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/NetDextConfigVersion.cmake
    VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
set(netdext_package_files ${PROJECT_BINARY_DIR}/NetDextConfig.cmake
    ${PROJECT_BINARY_DIR}/NetDextConfigVersion.cmake)
foreach(module IN ITEMS NetDextAddDext NetDextAddApp)
    if(EXISTS ${PROJECT_SOURCE_DIR}/sdk/cmake/${module}.cmake)
        list(APPEND netdext_package_files ${PROJECT_SOURCE_DIR}/sdk/cmake/${module}.cmake)
    endif()
endforeach()
install(FILES ${netdext_package_files} DESTINATION ${NETDEXT_CMAKE_DIR})
