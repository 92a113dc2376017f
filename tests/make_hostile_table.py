"""Regenerate docs/hostile-inputs.md from real runs of `python -m gen` on tests/hostile_cases.py.

    python tests/make_hostile_table.py            # writes docs/hostile-inputs.md
    python tests/make_hostile_table.py --check    # exit 1 if the file is out of date
"""
from __future__ import annotations

import shlex
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hostile_cases as hc  # noqa: E402

DOC = hc.ROOT / "docs" / "hostile-inputs.md"

HEAD = """# Hostile inputs: what gen says

Every row is a real run of `python -m gen` (regenerate with `python tests/make_hostile_table.py`;
`tests/test_hostile.py` asserts the same runs). The rule: bad input gets one line on stderr, exit
status 2, no traceback, and the output directory is not created (an earlier gen output in it is left
unchanged). `<tmp>` stands for the scratch directory of the run. Inputs marked *accepted* are not
errors: gen must compile them (and `--verify` them against onnxruntime).

| input | command (after `python -m gen`) | exit | stderr |
|---|---|---|---|
"""


def _row(make) -> str:
    with tempfile.TemporaryDirectory(prefix="gen-hostile-") as d:
        tmp = Path(d)
        case = make(tmp)
        r = hc.run_gen(case.argv, tmp)
        err = r.stderr.strip()
        if r.returncode == 0:
            err = "" if not err else err
        if len(err.splitlines()) > 1:
            err = err.splitlines()[-1] + " (MORE THAN ONE LINE)"
        args = " ".join(shlex.quote(a) for a in case.argv).replace(d, "<tmp>")
        err = err.replace(d, "<tmp>").replace("|", "\\|")
        title = case.title + (" (*accepted*)" if case.ok else "")
        return f"| {title} | `{args}` | {r.returncode} | {('`' + err + '`') if err else '(nothing)'} |\n"


FOOT = """
Beyond this table, `tests/test_fuzz_frontend.py` mutates real models (bytes: flips, deletions,
insertions, splices, truncation; structure: attributes, op types, dims, rewired inputs, initializer
dims and types, opsets) and requires every mutant to compile or be refused exactly like the rows
above. `tests/test_sanitize.py` runs the generated C of every MLPerf Tiny model and of small graphs
for every op under ASan/UBSan with guard bytes around the arena.
"""


def table() -> str:
    with ThreadPoolExecutor(2) as ex:
        rows = list(ex.map(_row, hc.ERROR_CASES + hc.OK_CASES))
    return HEAD + "".join(rows) + FOOT


def main(argv: list[str]) -> int:
    text = table()
    if "--check" in argv:
        same = DOC.exists() and DOC.read_text() == text
        print("up to date" if same else f"{DOC} is out of date")
        return 0 if same else 1
    DOC.write_text(text)
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
