# Debian packages with CPack's DEB generator (cpack -G DEB, or
# scripts/package): CPack reads the install rules the build already has,
# one component per package, and computes Depends with dpkg-shlibdeps, so
# nothing is listed twice. Packages:
#   jejak-common  region reference data, docs, the jejak user, /var/lib/jejak
#   jejak-hub     hub, broker, store, keys, replay, report, schema, sample
#   jejak-office  the office box: the three agents and jejak-office
#   jejak-status  the status board (terminal and web)
# Build them from a tree configured with -DCMAKE_INSTALL_PREFIX=/usr.
set(jejak_debian ${CMAKE_SOURCE_DIR}/dist/debian)

# Example configuration under /etc/jejak (conffiles: an upgrade keeps the
# administrator's edits) and the systemd units, per package.
set(jejak_cfg_hub hub broker store)
set(jejak_cfg_office registration attendance scoring office)
set(jejak_cfg_status status)
set(jejak_units_hub jejak-hub.service jejak-broker.service
    jejak-store.service)
set(jejak_units_office jejak-sync@.service jejak-office.service)
set(jejak_units_status jejak-status-web.service)
set(JEJAK_UNIT_DIR ${CMAKE_INSTALL_PREFIX}/lib/systemd/system)
set(BINDIR ${CMAKE_INSTALL_FULL_BINDIR})
foreach(component hub office status)
  set(conffiles "")
  foreach(cfg IN LISTS jejak_cfg_${component})
    install(FILES dist/etc/${cfg}.cfg
            DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/jejak
            PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
            COMPONENT ${component})
    string(APPEND conffiles "${CMAKE_INSTALL_FULL_SYSCONFDIR}/jejak/${cfg}.cfg\n")
  endforeach()
  file(WRITE ${CMAKE_BINARY_DIR}/debian/${component}/conffiles "${conffiles}")
  foreach(unit IN LISTS jejak_units_${component})
    string(REGEX REPLACE "[@.].*" "" unit_program ${unit})
    if(unit_program STREQUAL "jejak-office" AND NOT TARGET jejak-office)
      continue()  # the office app's unit ships with the program
    endif()
    configure_file(dist/systemd/${unit}.in
                   ${CMAKE_BINARY_DIR}/systemd/${unit} @ONLY)
    install(FILES ${CMAKE_BINARY_DIR}/systemd/${unit}
            DESTINATION ${JEJAK_UNIT_DIR} COMPONENT ${component})
  endforeach()
  set(extra ${CMAKE_BINARY_DIR}/debian/${component}/conffiles)
  foreach(script postinst prerm postrm)
    # Optional by design: a package has only the maintainer scripts it
    # needs (status has no prerm or postrm).
    if(EXISTS ${jejak_debian}/${component}.${script})
      configure_file(${jejak_debian}/${component}.${script}
                     ${CMAKE_BINARY_DIR}/debian/${component}/${script}
                     COPYONLY FILE_PERMISSIONS OWNER_READ OWNER_WRITE
                     OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ
                     WORLD_EXECUTE)
      list(APPEND extra ${CMAKE_BINARY_DIR}/debian/${component}/${script})
    endif()
  endforeach()
  string(TOUPPER ${component} C)
  set(CPACK_DEBIAN_${C}_PACKAGE_CONTROL_EXTRA "${extra}")
endforeach()
install(FILES dist/systemd/jejak-sync@.timer DESTINATION ${JEJAK_UNIT_DIR}
        COMPONENT office)
foreach(script postinst postrm)
  configure_file(${jejak_debian}/common.${script}
                 ${CMAKE_BINARY_DIR}/debian/common/${script} COPYONLY
                 FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE
                 GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
endforeach()
set(CPACK_DEBIAN_COMMON_PACKAGE_CONTROL_EXTRA
    "${CMAKE_BINARY_DIR}/debian/common/postinst;${CMAKE_BINARY_DIR}/debian/common/postrm")
# Every page of docs/ is shipped; they are read, not built, so a glob
# cannot leave a build input out.
file(GLOB jejak_docs ${CMAKE_SOURCE_DIR}/docs/*.md)
install(FILES ${jejak_docs} README.md DESTINATION ${CMAKE_INSTALL_DOCDIR}
        COMPONENT common)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME jejak)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "Diskupperdagin Kabupaten Cianjur")
set(CPACK_PACKAGE_CONTACT "Jejak maintainers <jejak@cianjurkab.go.id>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "event log and office agents for a regency cooperative department")
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL common hub office status)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION misc)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS OFF)
set(CPACK_DEBIAN_COMMON_PACKAGE_NAME jejak-common)
set(CPACK_DEBIAN_COMMON_PACKAGE_ARCHITECTURE all)
set(CPACK_DEBIAN_COMMON_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_COMMON_DESCRIPTION
    "Jejak: region reference data, documentation and the jejak user")
foreach(component hub office status)
  string(TOUPPER ${component} C)
  set(CPACK_DEBIAN_${C}_PACKAGE_NAME jejak-${component})
  set(CPACK_DEBIAN_${C}_PACKAGE_DEPENDS
      "jejak-common (= ${PROJECT_VERSION})")
endforeach()
set(CPACK_COMPONENT_HUB_DESCRIPTION
    "Jejak hub: broker, event store, keys, replay and reports for the dinas")
set(CPACK_COMPONENT_OFFICE_DESCRIPTION
    "Jejak office box: the office agents and the clerks' web app")
set(CPACK_COMPONENT_STATUS_DESCRIPTION
    "Jejak status board: terminal and web views of the live log")
set(CPACK_COMPONENT_COMMON_DESCRIPTION
    "Jejak common files: region data, documentation, the jejak user")
include(CPack)
