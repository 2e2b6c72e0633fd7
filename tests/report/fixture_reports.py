"""A fixture's report built once per test process, for the tests that only read what it wrote:
drawing every plot of run_a takes most of a report test's time, and building it again for each
such test would not test anything more."""

import atexit
import functools
import os
import shutil
import tempfile

from fixture_columns import FIXTURES  # also puts the scripts on the path
import report


@functools.cache
def built(fixture):
    """(html path, figure names, output folder) of tests/fixtures/<fixture>'s report. The folder
    goes when the process ends; a test must not change what is in it."""
    out = tempfile.mkdtemp(prefix=f"versus-report-{fixture}-")
    atexit.register(shutil.rmtree, out, True)
    html_path, figures, _ = report.build(os.path.join(FIXTURES, fixture), out)
    return html_path, tuple(figures), out
