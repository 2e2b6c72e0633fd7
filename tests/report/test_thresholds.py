"""The claim rules' thresholds are named once, in versus_report/thresholds.py: no rule module
(the claims and stability.py's rule on each cell) defines one of its own or writes one inline, and
every one there is read and explained."""

import ast
import glob
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PACKAGE = os.path.join(ROOT, "scripts", "versus_report")
sys.path.insert(0, os.path.join(ROOT, "scripts"))

from versus_report import thresholds  # noqa: E402

# Floats a rule may write: unit conversions (s, ms, µs, ns) and a guard against dividing by zero.
NOT_THRESHOLDS = {1e-9, 1e3, 1e6, 1e9}
# Integers a comparison may write: none, one, and the fewest workers or cells that compare.
COUNTS = {0, 1, 2}


def rule_modules():
    return sorted(glob.glob(os.path.join(PACKAGE, "claims*.py")) + [os.path.join(PACKAGE, "stability.py")])


def parse(path):
    with open(path, encoding="utf-8") as f:
        return ast.parse(f.read(), path)


def numbers(node):
    return [n.value for n in ast.walk(node)
            if isinstance(n, ast.Constant) and type(n.value) in (int, float)]


def names():
    return {n for n in vars(thresholds) if n.isupper()}


class Thresholds(unittest.TestCase):
    def test_the_rule_modules_are_found(self):
        self.assertEqual({os.path.basename(p) for p in rule_modules()},
                         {"claims.py", "claims_base.py", "claims_faults.py", "claims_io.py", "claims_ipc.py",
                          "claims_latency.py", "claims_py.py", "stability.py"})

    def test_every_threshold_is_a_number_with_a_comment_saying_why(self):
        path = os.path.join(PACKAGE, "thresholds.py")
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
        for node in parse(path).body:
            if isinstance(node, ast.Assign):
                name = node.targets[0].id
                self.assertIn(type(getattr(thresholds, name)), (int, float), name)
                self.assertTrue(lines[node.lineno - 2].startswith("# "), f"{name} has no comment above it")
        self.assertTrue(names())

    def test_no_rule_module_defines_a_numeric_constant(self):
        for path in rule_modules():
            for node in parse(path).body:
                if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    for t in targets:
                        name = getattr(t, "id", "?")
                        self.assertFalse(name in names(), f"{path} defines {name}, a name of thresholds.py, again")
                        value = node.value
                        self.assertFalse(
                            isinstance(value, (ast.Constant, ast.BinOp, ast.UnaryOp)) and numbers(value),
                            f"{path}:{node.lineno} defines the number {name} outside thresholds.py")

    def test_no_rule_writes_a_threshold_inline(self):
        for path in rule_modules():
            tree = parse(path)
            for v in numbers(tree):
                if isinstance(v, float):
                    self.assertIn(v, NOT_THRESHOLDS, f"{path}: the float {v} is written inline")
            for node in ast.walk(tree):
                if isinstance(node, ast.Compare):
                    for v in numbers(node):
                        self.assertIn(v, COUNTS, f"{path}:{node.lineno} compares against {v} inline")

    def test_rules_read_the_thresholds_from_the_one_module(self):
        used = set()
        for path in rule_modules():
            tree = parse(path)
            imported = {a.name for n in ast.walk(tree)
                        if isinstance(n, ast.ImportFrom) and n.module == "thresholds" and n.level == 1
                        for a in n.names}
            read = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} & names()
            self.assertEqual(read - imported, set(), f"{path} reads thresholds it does not import from thresholds.py")
            self.assertEqual(imported, read, f"{path} imports thresholds it does not read")
            used |= read
        self.assertEqual(names() - used, set(), "thresholds no rule reads")


if __name__ == "__main__":
    unittest.main()
