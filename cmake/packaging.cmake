# Installation layout and the Debian package (CPack DEB).
# Included from the top-level CMakeLists.txt once the `parleyd` target exists:
#   include(cmake/packaging.cmake)
#
#   cmake --install build --prefix /usr      install on this machine
#   (cd build && cpack -G DEB)               build/parley_<version>_<arch>.deb
#
# Layout (prefix /usr, as in the package):
#   /usr/bin/parleyd
#   /etc/parley/parley.json                   example config (a dpkg conffile)
#   /usr/lib/systemd/system/parleyd.service   the unit of config/parleyd.service
#   /usr/share/parley/web/                    the demo page (PARLEY_STATIC_DIR)
#   /usr/share/doc/parley/                    operations guide
include_guard(GLOBAL)
include(GNUInstallDirs)

set(PARLEY_PACKAGING_SOURCE_DIR ${CMAKE_CURRENT_LIST_DIR}/..)

install(TARGETS parleyd RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# The configuration lives in /etc whatever the prefix: the unit reads
# /etc/parley/parley.json, and GNUInstallDirs would put it under the prefix for
# anything but /usr (and CPack builds with a different prefix than configure).
if(EXISTS ${PARLEY_PACKAGING_SOURCE_DIR}/config/parley.json)
  install(FILES ${PARLEY_PACKAGING_SOURCE_DIR}/config/parley.json
          DESTINATION /etc/parley
          PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
else()
  message(WARNING "config/parley.json is missing: the package will have no example config")
endif()

install(DIRECTORY ${PARLEY_PACKAGING_SOURCE_DIR}/web/
        DESTINATION ${CMAKE_INSTALL_DATADIR}/parley/web
        PATTERN node_modules EXCLUDE
        PATTERN "*.test.*" EXCLUDE)

install(FILES ${PARLEY_PACKAGING_SOURCE_DIR}/docs/operations.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR} OPTIONAL)

# The unit names /usr/bin/parleyd and /usr/share/...; an install under another
# prefix (/usr/local, /opt/parley) gets those paths rewritten. This runs at
# install time because only then is the prefix final (cpack installs with its
# own, /usr).
set(PARLEY_UNIT_SOURCE ${PARLEY_PACKAGING_SOURCE_DIR}/config/parleyd.service)
set(parley_install_unit [[
  set(bindir "@CMAKE_INSTALL_BINDIR@")
  set(datadir "@CMAKE_INSTALL_DATADIR@")
  set(docdir "@CMAKE_INSTALL_DOCDIR@")
  foreach(dir IN ITEMS bindir datadir docdir)
    if(NOT IS_ABSOLUTE "${${dir}}")
      set(${dir} "${CMAKE_INSTALL_PREFIX}/${${dir}}")
    endif()
  endforeach()
  file(READ "@PARLEY_UNIT_SOURCE@" unit)
  string(REPLACE "=/usr/bin/parleyd " "=${bindir}/parleyd " unit "${unit}")
  string(REPLACE "=/usr/share/parley/web" "=${datadir}/parley/web" unit "${unit}")
  string(REPLACE "///usr/share/doc/parley/" "//${docdir}/" unit "${unit}")
  set(unit_file "${CMAKE_INSTALL_PREFIX}/lib/systemd/system/parleyd.service")
  message(STATUS "Installing: $ENV{DESTDIR}${unit_file}")
  file(WRITE "$ENV{DESTDIR}${unit_file}" "${unit}")
  file(CHMOD "$ENV{DESTDIR}${unit_file}" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
  list(APPEND CMAKE_INSTALL_MANIFEST_FILES "${unit_file}")
]])
string(CONFIGURE "${parley_install_unit}" parley_install_unit @ONLY)
install(CODE "${parley_install_unit}")

# --- Debian package --------------------------------------------------------
# Maintainer scripts, generated so that they carry the right permissions.
set(PARLEY_DEB_CONTROL_DIR ${CMAKE_BINARY_DIR}/packaging/deb)
file(MAKE_DIRECTORY ${PARLEY_DEB_CONTROL_DIR})

# Only daemon-reload: like most packaged daemons parleyd is not enabled or
# started on install, since it should be configured first. An upgrade restarts
# it if it was running, so the new binary serves.
file(WRITE ${PARLEY_DEB_CONTROL_DIR}/postinst [[#!/bin/sh
set -e
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  systemctl daemon-reload >/dev/null 2>&1 || true
  if [ "$1" = configure ] && [ -n "$2" ]; then
    systemctl try-restart parleyd.service >/dev/null 2>&1 || true
  fi
fi
exit 0
]])
# Stop the service before its binary goes away (not on upgrade: postinst
# restarts it then).
file(WRITE ${PARLEY_DEB_CONTROL_DIR}/prerm [[#!/bin/sh
set -e
if [ "$1" = remove ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  systemctl stop parleyd.service >/dev/null 2>&1 || true
fi
exit 0
]])
file(WRITE ${PARLEY_DEB_CONTROL_DIR}/postrm [[#!/bin/sh
set -e
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  systemctl daemon-reload >/dev/null 2>&1 || true
fi
exit 0
]])
# dpkg keeps an edited /etc/parley/parley.json across upgrades.
set(parley_conffiles "")
if(EXISTS ${PARLEY_PACKAGING_SOURCE_DIR}/config/parley.json)
  set(parley_conffiles "/etc/parley/parley.json\n")
endif()
file(WRITE ${PARLEY_DEB_CONTROL_DIR}/conffiles "${parley_conffiles}")
file(CHMOD ${PARLEY_DEB_CONTROL_DIR}/postinst ${PARLEY_DEB_CONTROL_DIR}/prerm
     ${PARLEY_DEB_CONTROL_DIR}/postrm
     PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                 WORLD_READ WORLD_EXECUTE)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${PARLEY_DEB_CONTROL_DIR}/postinst;${PARLEY_DEB_CONTROL_DIR}/prerm;${PARLEY_DEB_CONTROL_DIR}/postrm")
if(parley_conffiles)
  list(APPEND CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA "${PARLEY_DEB_CONTROL_DIR}/conffiles")
endif()
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)

set(PARLEY_PACKAGE_MAINTAINER "parley maintainers <maintainers@parley.invalid>"
    CACHE STRING "Maintainer field of the Debian package")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME parley)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR parley)
set(CPACK_PACKAGE_CONTACT "${PARLEY_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "WebRTC signaling server")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES TRUE)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_NAME parley)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${PARLEY_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# CPack puts the summary above this text and indents it as debian/control wants.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "parleyd relays the offers, answers and ICE candidates that browsers exchange
to set up WebRTC calls, over WebSocket (and a socket.io compatible endpoint).
It serves a demo page, exposes Prometheus metrics and an admin API, runs
under systemd with sd_notify and its watchdog. A cluster of nodes sharing
rooms through Redis is coming in a later release.")
# dpkg-shlibdeps derives Depends from the libraries the binary links.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "redis-server")

include(CPack)
