"""Hostile output directories: gen replaces only files its gen_manifest.txt lists with their hashes;
anything else in `-o DIR` is the user's, and gen refuses the directory (naming the first such entry)
before compiling. Run by tests/test_hostile.py (exit 2, one line, DIR unchanged, no .gen-* left).
"""
from __future__ import annotations

import hashlib

from hostile_cases import Case, gemm_model, save


def _argv(tmp, out=None, extra=()):
    return [save(gemm_model(), tmp / "model.onnx"), "-o", str(out or tmp / "out"), *extra]


def _gen_like(out, files):
    """A directory as gen leaves it: files and a manifest of their sha256."""
    out.mkdir(parents=True, exist_ok=True)
    lines = []
    for name, data in sorted(files.items()):
        (out / name).write_bytes(data)
        lines.append(f"{hashlib.sha256(data).hexdigest()}  {name}\n")
    (out / "gen_manifest.txt").write_text("".join(lines))


def out_old_output_and_notes(tmp):
    out = tmp / "out"
    out.mkdir()
    (out / "model_plan.json").write_text("{}\n")
    (out / "model.c").write_text("/* an older gen's output */\n")
    (out / "notes.txt").write_text("mine\n")
    return Case(_argv(tmp), ["files gen did not write", "'model.c'", "older gen"],
                title="-o DIR holding a *_plan.json (no manifest) and the user's notes.txt")


def out_holds_subfolder(tmp):
    _gen_like(tmp / "out", {"model.c": b"/* gen */\n"})
    (tmp / "out" / "sub").mkdir()
    (tmp / "out" / "sub" / "keep.c").write_text("/* mine */\n")
    return Case(_argv(tmp), ["files gen did not write", "'sub'", "a directory"],
                title="-o DIR (a gen output) holding a subfolder")


def out_holds_symlink(tmp):
    _gen_like(tmp / "out", {"model.c": b"/* gen */\n"})
    (tmp / "mine.h").write_text("/* mine */\n")
    (tmp / "out" / "extra.h").symlink_to(tmp / "mine.h")
    return Case(_argv(tmp), ["'extra.h'", "a symlink"], title="-o DIR (a gen output) holding a symlink")


def out_edited_gen_file(tmp):
    _gen_like(tmp / "out", {"model.c": b"/* gen */\n", "model.h": b"/* gen */\n"})
    with open(tmp / "out" / "model.c", "a") as f:
        f.write("/* my fix */\n")
    return Case(_argv(tmp), ["'model.c'", "changed since gen wrote it"],
                title="-o DIR whose gen file the user edited since")


def out_manifest_escapes(tmp):
    victim = tmp / "victim.c"
    victim.write_text("/* mine */\n")
    _gen_like(tmp / "out", {"model.c": b"/* gen */\n"})
    with open(tmp / "out" / "gen_manifest.txt", "a") as f:
        f.write(f"{hashlib.sha256(victim.read_bytes()).hexdigest()}  ../victim.c\n")
    return Case(_argv(tmp), ["gen_manifest.txt", "not a manifest gen wrote"],
                title="-o DIR whose gen_manifest.txt names a file outside it")


def out_is_model_dir(tmp):
    d = tmp / "models"
    d.mkdir()
    m = save(gemm_model(), d / "model.onnx")
    (d / "model_plan.json").write_text("{}\n")
    return Case([m, "-o", str(d)], ["'model.onnx'", "input of this run"], out=str(d),
                title="-o the folder that holds the model")


def out_dangling_symlink(tmp):
    (tmp / "link").symlink_to(tmp / "nowhere")
    return Case(_argv(tmp, tmp / "link"), ["'" + str(tmp / "link") + "'", "symlink", "does not exist"],
                out=str(tmp / "link"), title="-o a symlink to nothing")


def out_symlink_to_foreign_dir(tmp):
    (tmp / "src").mkdir()
    (tmp / "src" / "main.c").write_text("int main(void) { return 0; }\n")
    (tmp / "link").symlink_to(tmp / "src")
    return Case(_argv(tmp, tmp / "link"), ["files gen did not write", "'main.c'"], out=str(tmp / "link"),
                title="-o a symlink to a folder of the user's")


def out_empty_name(tmp):
    return Case([save(gemm_model(), tmp / "model.onnx"), "-o", ""], ["output directory name is empty"],
                title="-o ''")


def board_unknown(tmp):
    return Case(_argv(tmp, extra=["--board", "nosuch"]), ["--board nosuch", "no such env"],
                title="--board for an env platformio.ini does not have")


ERROR_CASES = [out_old_output_and_notes, out_holds_subfolder, out_holds_symlink, out_edited_gen_file,
               out_manifest_escapes, out_is_model_dir, out_dangling_symlink, out_symlink_to_foreign_dir,
               out_empty_name, board_unknown]
