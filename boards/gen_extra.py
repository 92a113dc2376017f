"""PlatformIO pre-script shared by every gen env: compile a gen output directory into
the firmware, and (when asked) the real CMSIS-NN library.

In a project gen wrote (``python -m gen model.onnx --pio-project DIR --board ENV``, gen/pio_project.py),
``custom_gen_library = lib/NAME`` names the model library, which PlatformIO's library finder builds (src/
includes NAME.h through the test vectors); GEN_DIR and custom_gen_dir are not used there.

Elsewhere (this repository's platformio.ini), which output directory (``python -m gen model.onnx -o DIR``):
  1. environment variable GEN_DIR, else
  2. option ``custom_gen_dir`` of the env in platformio.ini, else
  3. ``build`` at the project root.
Relative paths are taken from the project root. Every top-level ``*.c`` of that
directory is compiled and the directory is put on the include path.

``GEN_CMSIS_NN_DIR=/path/to/CMSIS-NN`` (environment, any Arm env, QEMU included):
use that checkout (v7.0.0) the same way, offline.

``GEN_PROFILE=1`` (environment): build with -DGEN_PROFILE; the firmware prints each layer's
time of the first vector (``gen: layer=K instructions=T``).

``GEN_DEFINES="NAME NAME=VALUE ..."`` (environment): extra preprocessor defines for the whole firmware, the
model library included, e.g. ``GEN_DEFINES=GEN_CHECK_OVERLAP`` (each overlapped layer also run from a private
copy of its input: the run returns -3 and the vector FAILs if the planned run's output differs).

``custom_cmsis_nn = yes`` (real Cortex-M boards): CMSIS-NN, fetched by PlatformIO through
``lib_deps`` (and excluded from the library finder with ``lib_ignore``, because its repo
root also holds tests and examples), gets its ``Source/`` compiled and ``Include/`` put
on the include path, and ``GEN_USE_CMSIS_NN`` is defined, which switches the generated
code from gen's portable kernels to the real library.
"""

import glob
import os
import re
import sys

Import("env")  # noqa: F821  pylint: disable=undefined-variable

env = env  # noqa: F821  pylint: disable=undefined-variable,self-assigning-variable


def _truthy(value):
    return str(value).strip().lower() in ("1", "y", "yes", "true", "on")


def gen_dir():
    raw = os.environ.get("GEN_DIR") or env.GetProjectOption("custom_gen_dir", "") or "build"
    path = raw if os.path.isabs(raw) else os.path.join(env.subst("$PROJECT_DIR"), raw)
    return os.path.normpath(path)


GEN_LIBRARY = env.GetProjectOption("custom_gen_library", "")
if GEN_LIBRARY:
    print("gen: model library %s (built by PlatformIO's library finder)" % GEN_LIBRARY)
else:
    GEN_DIR = gen_dir()
    if not os.path.isfile(os.path.join(GEN_DIR, "gen_testvec.h")):
        sys.stderr.write(
            "Error: %s is not a gen output directory (no gen_testvec.h).\n"
            "Generate one first:  python -m gen MODEL.onnx -o %s --test-vectors 1\n"
            "or point GEN_DIR / custom_gen_dir at one.\n" % (GEN_DIR, GEN_DIR)
        )
        env.Exit(1)
    print("gen: model library from %s" % GEN_DIR)
    env.Append(CPPPATH=[GEN_DIR])
    # The output directory is flat; compile its C files with the project's flags.
    env.BuildSources(os.path.join("$BUILD_DIR", "gen"), GEN_DIR, "-<*> +<*.c>")
if _truthy(os.environ.get("GEN_PROFILE", "")):   # per-layer times (gen_fw.c's gen_profile_layer)
    env.Append(CPPDEFINES=["GEN_PROFILE"])
for define in os.environ.get("GEN_DEFINES", "").split():     # test builds: GEN_CHECK_OVERLAP, ...
    macro, _, value = define.partition("=")
    if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", macro) or not re.match(r"^[A-Za-z0-9_.+-]*$", value):
        sys.stderr.write("Error: GEN_DEFINES holds %r: a define is NAME or NAME=VALUE (letters, digits, _)\n" % define)
        env.Exit(1)
    env.Append(CPPDEFINES=[(macro, value) if value else macro])
env.Append(CPPDEFINES=[("GEN_BOARD_NAME", '\\"%s\\"' % env.subst("$PIOENV"))])


def find_cmsis_nn():
    roots = glob.glob(os.path.join(env.subst("$PROJECT_LIBDEPS_DIR"), env.subst("$PIOENV"), "*"))
    for root in sorted(roots):
        if os.path.isfile(os.path.join(root, "Include", "arm_nnfunctions.h")) and os.path.isdir(
            os.path.join(root, "Source")
        ):
            return root
    return None


LOCAL_CMSIS_NN = os.environ.get("GEN_CMSIS_NN_DIR", "")
if LOCAL_CMSIS_NN or _truthy(env.GetProjectOption("custom_cmsis_nn", "no")):
    CMSIS_NN = os.path.abspath(LOCAL_CMSIS_NN) if LOCAL_CMSIS_NN else find_cmsis_nn()
    if LOCAL_CMSIS_NN and not os.path.isfile(os.path.join(CMSIS_NN, "Include", "arm_nnfunctions.h")):
        sys.stderr.write("Error: GEN_CMSIS_NN_DIR=%s has no Include/arm_nnfunctions.h\n" % CMSIS_NN)
        env.Exit(1)
    if not CMSIS_NN:
        sys.stderr.write(
            "Error: custom_cmsis_nn = yes but CMSIS-NN is not in %s; add\n"
            "  lib_deps = https://github.com/ARM-software/CMSIS-NN.git#v7.0.0\n"
            % env.subst("$PROJECT_LIBDEPS_DIR/$PIOENV")
        )
        env.Exit(1)
    print("gen: CMSIS-NN from %s" % CMSIS_NN)
    env.Append(CPPDEFINES=["GEN_USE_CMSIS_NN"], CPPPATH=[os.path.join(CMSIS_NN, "Include")])
    env.BuildSources(
        os.path.join("$BUILD_DIR", "CMSIS-NN"), os.path.join(CMSIS_NN, "Source"), "+<*>"
    )
