# Fails when an include goes up the layers (docs/architecture.md, "Layers").
#   cmake -DSOURCE_DIR=<repo>/src -P cmake/check_include_direction.cmake
# ctest runs it as unit.include_direction.
#
# The layers, lowest first:
#   base, config, rooms, policy, net, http, ops, dialects/*, app
# (cluster/ stands beside app: the Redis room directory, wired in by app/;
# webhooks/ is base-level code beside them: app/ feeds it the rooms' events).
# Each rule names a folder and the folders its files may not include. A header
# of the same folder, of a lower layer or of a third-party library is fine;
# the two dialects never include each other.
cmake_minimum_required(VERSION 3.25)
if(NOT SOURCE_DIR)
  message(FATAL_ERROR "set -DSOURCE_DIR=<repository>/src")
endif()

set(rules
  "base:config,rooms,policy,net,http,ops,dialects,cluster,app"
  "config:rooms,policy,net,http,ops,dialects,cluster,app"
  "rooms:config,policy,net,http,ops,dialects,cluster,app"
  "policy:net,http,ops,dialects,cluster,app"
  "net:rooms,policy,http,ops,dialects,cluster,app"
  "http:ops,dialects,cluster,app"
  "ops:dialects,cluster,app"
  "dialects/native:dialects/socketio,cluster,app"
  "dialects/socketio:dialects/native,cluster,app"
  "cluster:dialects,app"
  "webhooks:config,rooms,policy,net,http,ops,dialects,cluster,app")

# Upward includes of today's code, each to be cut by issue 17 (an entry the
# code no longer has fails the check too, so this list only shrinks):
set(known_exceptions
  # config checks `log.level` names with the logging setup.
  "config/config.cpp -> ops/logging.hpp")

set(violations "")
set(seen_exceptions "")
foreach(rule IN LISTS rules)
  string(REPLACE ":" ";" parts "${rule}")
  list(GET parts 0 folder)
  list(GET parts 1 forbidden)
  string(REPLACE "," ";" forbidden "${forbidden}")
  file(GLOB_RECURSE files "${SOURCE_DIR}/${folder}/*.hpp" "${SOURCE_DIR}/${folder}/*.cpp")
  foreach(file IN LISTS files)
    file(RELATIVE_PATH shown "${SOURCE_DIR}" "${file}")
    file(STRINGS "${file}" includes REGEX "^[ \t]*#[ \t]*include[ \t]*\"")
    foreach(line IN LISTS includes)
      string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*\"([^\"]+)\".*" "\\1" target "${line}")
      if(target MATCHES "^\\.\\./")
        list(APPEND violations "src/${shown} includes \"${target}\" (include from the src/ root)")
        continue()
      endif()
      foreach(bad IN LISTS forbidden)
        if(target MATCHES "^${bad}/")
          set(pair "${shown} -> ${target}")
          if(pair IN_LIST known_exceptions)
            list(APPEND seen_exceptions "${pair}")
          else()
            list(APPEND violations "src/${shown} includes \"${target}\" (${folder}/ may not include ${bad}/)")
          endif()
        endif()
      endforeach()
    endforeach()
  endforeach()
endforeach()

foreach(pair IN LISTS known_exceptions)
  if(NOT pair IN_LIST seen_exceptions)
    list(APPEND violations "\"${pair}\" is gone: strike it from known_exceptions")
  endif()
endforeach()

if(violations)
  list(JOIN violations "\n  " text)
  message(FATAL_ERROR "includes going up the layers:\n  ${text}")
endif()
list(LENGTH known_exceptions remaining)
message(STATUS "include direction: every include goes down the layers (${remaining} known exceptions)")
