# One ctest entry per parameter of a parameterised suite: `<prefix>.<name>` runs
# `<target> --gtest_filter=*/<name>`. The names are not written here but read from the built
# binary, which takes them from the registries (tests/runner_variants.h), so a runner added to a
# registry gets its entries without editing this directory.
#
# At configure time, add_per_runner_tests(<target> <prefix> [PROPERTIES <property> <value>...])
# writes a file that ctest includes before it lists or runs anything (TEST_INCLUDE_FILES, as
# gtest_discover_tests does in its PRE_TEST mode). That file includes this one and calls
# per_runner_tests_from_listing(), which runs `<target> --gtest_list_tests` and adds the entries.
# Listing at ctest time rather than after the build keeps the entries in step with both the
# binary and the properties given here, with nothing cached to go stale.

function(add_per_runner_tests target prefix)
  cmake_parse_arguments(PARSE_ARGV 2 arg "" "" "PROPERTIES")
  set(include_file "${CMAKE_CURRENT_BINARY_DIR}/${target}_per_runner.cmake")
  file(GENERATE OUTPUT "${include_file}" CONTENT
"include([==[${CMAKE_CURRENT_FUNCTION_LIST_FILE}]==])
per_runner_tests_from_listing(
  [==[$<TARGET_FILE:${target}>]==] [==[${prefix}]==] [==[${CMAKE_COMMAND}]==] [==[${arg_PROPERTIES}]==])
")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${include_file}")
endfunction()

# Run by ctest. A listing looks like
#   Each/RunnerTest.
#     CountsPrimesRightAtOneTwoAndThreeWorkers/serial  # GetParam() = "serial"
# and the entries are the distinct names after the last '/' of the indented lines.
function(per_runner_tests_from_listing executable prefix cmake properties)
  execute_process(COMMAND "${executable}" --gtest_list_tests
                  OUTPUT_VARIABLE listing ERROR_VARIABLE listing RESULT_VARIABLE status TIMEOUT 60)
  set(names "")
  if(status EQUAL 0)
    string(REPLACE "\n" ";" lines "${listing}")
    foreach(line IN LISTS lines)
      if(line MATCHES "^  [^ #]*/([^ #/]+)")
        list(APPEND names "${CMAKE_MATCH_1}")
      endif()
    endforeach()
    list(REMOVE_DUPLICATES names)
  endif()
  if(NOT names)
    # A failing entry that says why, rather than a suite that silently runs nothing (WILL_FAIL:
    # the echo succeeds, so the entry fails).
    add_test("${prefix}.NOT_LISTED" "${cmake}" -E echo
             "${executable} --gtest_list_tests gave no parameterised test (status ${status}): ${listing}")
    set_tests_properties("${prefix}.NOT_LISTED" PROPERTIES WILL_FAIL TRUE)
    return()
  endif()
  foreach(name IN LISTS names)
    add_test("${prefix}.${name}" "${executable}" "--gtest_filter=*/${name}")
    if(properties)
      set_tests_properties("${prefix}.${name}" PROPERTIES ${properties})
    endif()
  endforeach()
endfunction()
