# Debian packages with CPack (`cpack -G DEB` in a build tree configured
# with -DCMAKE_INSTALL_PREFIX=/usr; see README, Install):
#   sambang      the CLI, the field daemon, its units, the schema
#   sambang-hub  the hub, its system unit, sysusers.d/tmpfiles.d entries
# One package per install component (deploy/CMakeLists.txt). Depends come
# from dpkg-shlibdeps; the hub's maintainer scripts are deploy/debian/.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME sambang)
set(CPACK_PACKAGE_VENDOR sambang)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "sambang maintainers <sambang@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "offline-first field-data sync")
# The packages hold what this tree was configured for: the unit files name
# the installed binaries, so configure with -DCMAKE_INSTALL_PREFIX=/usr.
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
if(NOT CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  message(STATUS "Debian packages: configure with -DCMAKE_INSTALL_PREFIX=/usr "
    "(now ${CMAKE_INSTALL_PREFIX})")
endif()
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL sambang sambang-hub)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/sambang/sambang")
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)

set(CPACK_DEBIAN_SAMBANG_PACKAGE_NAME sambang)
set(CPACK_COMPONENT_SAMBANG_DESCRIPTION
  "offline-first field-data sync: CLI and field daemon
 sambang records beneficiaries and visits in a local SQLite store, fully
 offline; sambangd keeps the store in sync with a sambang hub whenever the
 network allows (a systemd user unit, and a system template sambangd@USER).")

set(CPACK_DEBIAN_SAMBANG-HUB_PACKAGE_NAME sambang-hub)
set(CPACK_DEBIAN_SAMBANG-HUB_PACKAGE_SECTION net)
# systemd-sysusers and systemd-tmpfiles in the maintainer scripts.
set(CPACK_DEBIAN_SAMBANG-HUB_PACKAGE_DEPENDS "systemd")
set(CPACK_COMPONENT_SAMBANG-HUB_DESCRIPTION
  "offline-first field-data sync: central hub
 sambang-hub receives the records field devices push and serves the change
 feed they pull (HTTP on loopback, behind a TLS reverse proxy), as the
 system service sambang-hub.service with its store in /var/lib/sambang-hub.")
# Configured by deploy/CMakeLists.txt.
set(hub_scripts "")
foreach(s postinst prerm postrm)
  list(APPEND hub_scripts ${CMAKE_BINARY_DIR}/deploy/debian/${s})
endforeach()
set(CPACK_DEBIAN_SAMBANG-HUB_PACKAGE_CONTROL_EXTRA "${hub_scripts}")
set(CPACK_DEBIAN_SAMBANG-HUB_PACKAGE_CONTROL_STRICT_PERMISSION ON)

include(CPack)
