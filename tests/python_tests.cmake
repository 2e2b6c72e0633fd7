# The tests written in Python, included by CMakeLists.txt in the plain build only: they run
# scripts, never a binary of this build, so a sanitizer build would run them unchanged.

# The report scripts: unit tests over the fixtures, bad input and an unwritable output, the claim thresholds
# named once, the report in a headless browser, cells set aside for interference or unstable, and latency
# under load (the latency-throughput curve, the spectra of the .hgrm side files, C19).
add_test(NAME report.unit COMMAND ${CMAKE_SOURCE_DIR}/tests/report/run.sh ${CMAKE_SOURCE_DIR}/tests/report/test_report.py)
add_test(NAME report.input COMMAND ${CMAKE_SOURCE_DIR}/tests/report/run.sh
         ${CMAKE_SOURCE_DIR}/tests/report/test_report_input.py)
add_test(NAME report.thresholds COMMAND ${CMAKE_SOURCE_DIR}/tests/report/run.sh
         ${CMAKE_SOURCE_DIR}/tests/report/test_thresholds.py)
add_test(NAME report.python COMMAND ${CMAKE_SOURCE_DIR}/tests/report/run.sh ${CMAKE_SOURCE_DIR}/tests/report/test_report_python.py)
add_test(NAME report.browser COMMAND ${CMAKE_SOURCE_DIR}/tests/report/run.sh ${CMAKE_SOURCE_DIR}/tests/report/test_browser.py)
add_test(NAME report.stability COMMAND ${CMAKE_SOURCE_DIR}/tests/report/run.sh
         ${CMAKE_SOURCE_DIR}/tests/report/test_stability.py)
add_test(NAME report.figures COMMAND ${CMAKE_SOURCE_DIR}/tests/report/run.sh ${CMAKE_SOURCE_DIR}/tests/report/test_figures.py)
add_test(NAME report.latency COMMAND ${CMAKE_SOURCE_DIR}/tests/report/run.sh ${CMAKE_SOURCE_DIR}/tests/report/test_latency.py)
add_test(NAME report.baseline COMMAND ${CMAKE_SOURCE_DIR}/tests/report/run.sh ${CMAKE_SOURCE_DIR}/tests/report/test_baseline.py)
# report.unit draws every plot of a whole run: some minutes on a busy two-core machine.
set_tests_properties(report.unit report.input report.thresholds report.python report.browser report.stability
                     report.figures report.latency report.baseline PROPERTIES TIMEOUT 600 SKIP_RETURN_CODE 77)

# The Python worker program the py-* runners start: its own checks, apart from a cell.
add_test(NAME python.worker_program COMMAND ${CMAKE_SOURCE_DIR}/tests/report/run.sh
         ${CMAKE_SOURCE_DIR}/tests/python/test_worker_program.py)
set_tests_properties(python.worker_program PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77)

# scripts/cluster: the Kubernetes and CI examples' shard arithmetic and merge step, and
# full.sbatch's, with a stand-in versus.
add_test(NAME cluster.examples COMMAND /usr/bin/python3 ${CMAKE_SOURCE_DIR}/tests/cluster/test_cluster_examples.py)
set_tests_properties(cluster.examples PROPERTIES TIMEOUT 60 SKIP_RETURN_CODE 77)
