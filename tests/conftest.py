"""Suite-wide reporting: how many graphs the property tests drew (printed at the end of every run)."""

DRAWN: dict[str, int] = {}


def pytest_runtest_logreport(report):
    if report.when != "teardown":
        return
    for key, value in getattr(report, "user_properties", []):
        if key == "graphs_drawn":
            kind, n = value
            DRAWN[kind] = DRAWN.get(kind, 0) + n


def pytest_terminal_summary(terminalreporter):
    if DRAWN:
        terminalreporter.write_line("property tests drew " +
                                    ", ".join(f"{n} {kind}" for kind, n in sorted(DRAWN.items())) + " graphs")
