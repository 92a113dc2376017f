"""python -m gen.bench's bookkeeping (gen/bench.py): what its header says was linked, and where it writes.
Its QEMU runs are tested in tests/test_packaging.py (from an installed gen) and tests/test_boards.py."""
import subprocess

import pytest

from gen import bench


def test_header_names_what_was_linked(tmp_path):
    """gen's library alone names no CMSIS-NN; rows linked with a checkout name it with git's own version."""
    portable = [{"kernels": "portable"}]
    text = bench.linked_text(portable, str(tmp_path))
    assert "gen's own library only" in text and "CMSIS-NN from" not in text
    repo = tmp_path / "cmsis"
    repo.mkdir()
    git = ["git", "-C", str(repo), "-c", "user.email=t@t", "-c", "user.name=t"]
    subprocess.run(git + ["init", "-q"], check=True)
    (repo / "README").write_text("x")
    subprocess.run(git + ["add", "README"], check=True)
    subprocess.run(git + ["commit", "-qm", "x"], check=True)
    subprocess.run(git + ["tag", "v9.8.7"], check=True)
    text = bench.linked_text(portable + [{"kernels": "CMSIS-NN"}], str(repo))
    assert f"CMSIS-NN from `{repo}` (v9.8.7;" in text and "gen's own library only" in text
    assert "(version unknown;" in bench.linked_text([{"kernels": "CMSIS-NN"}], str(tmp_path / "nogit"))


def test_update_needs_the_committed_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(bench, "COMMITTED", str(tmp_path / "bench"))
    monkeypatch.setattr(bench.boards, "missing_tools", lambda: [])
    monkeypatch.setattr(bench.boards, "ensure_pio_offline", lambda: "ok")
    assert bench.main(["--update", "--boards", "mps2-an386"]) == 2
    assert "no committed bench/ folder" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        bench.main(["--update", "--out", str(tmp_path / "o")])
    assert e.value.code == 2 and not (tmp_path / "o").exists()
