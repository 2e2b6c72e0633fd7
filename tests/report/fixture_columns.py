"""What the report tests that write results of their own share: where the scripts and the
fixtures are (the scripts put on the path), and the columns versus writes, as the fixture has
them (cli_test holds the fixtures to versus's own)."""

import csv
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "tests", "fixtures")
sys.path.insert(0, os.path.join(ROOT, "scripts"))

with open(os.path.join(FIXTURES, "run_a", "results.csv"), newline="") as _f:
    COLUMNS = next(csv.reader(_f))
