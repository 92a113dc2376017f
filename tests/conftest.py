"""Suite-wide settings and reporting.

Hypothesis profiles: `ci` (the default) is derandomized, so a CI run draws the same examples every
time and cannot fail by luck; `deep` (HYPOTHESIS_PROFILE=deep) draws fresh random examples, many
more where tests read the profile, for long runs that hunt bugs.
"""
import os

from hypothesis import HealthCheck, settings

_SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
settings.register_profile("ci", deadline=None, derandomize=True, suppress_health_check=_SLOW)
settings.register_profile("deep", deadline=None, derandomize=False, max_examples=1000, suppress_health_check=_SLOW)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

DRAWN: dict[str, int] = {}
NODE_CASES: dict[tuple[str, str], int] = {}     # (variant, outcome) -> count, tests/test_onnx_node_cases.py


def pytest_runtest_logreport(report):
    if report.when != "teardown":
        return
    for key, value in getattr(report, "user_properties", []):
        if key == "graphs_drawn":
            kind, n = value
            DRAWN[kind] = DRAWN.get(kind, 0) + n
        if key == "onnx_node_case":
            k = tuple(value)
            NODE_CASES[k] = NODE_CASES.get(k, 0) + 1


def pytest_terminal_summary(terminalreporter):
    if NODE_CASES:
        from test_onnx_node_cases import totals_line
        terminalreporter.write_line(totals_line(NODE_CASES))
    if DRAWN:
        terminalreporter.write_line("property tests drew " +
                                    ", ".join(f"{n} {kind}" for kind, n in sorted(DRAWN.items())) + " graphs")
