"""SCons builder of the gen QEMU platform.

Builds with the arm-none-eabi-gcc found on PATH (Debian's gcc-arm-none-eabi +
libnewlib-arm-none-eabi; no PlatformIO toolchain package) and links newlib with rdimon
(semihosting) so printf and the exit status reach the host. ``-t upload`` runs the ELF
in qemu-system-arm (see qemu.py next to this file) and fails when the firmware exits
non-zero.
"""

import os
import sys

from SCons.Script import (  # pylint: disable=import-error
    AlwaysBuild,
    Builder,
    COMMAND_LINE_TARGETS,
    Default,
    DefaultEnvironment,
)

env = DefaultEnvironment()
board = env.BoardConfig()
platform_dir = env.PioPlatform().get_dir()
sys.path.insert(0, os.path.join(platform_dir, "builder"))
import qemu  # noqa: E402  pylint: disable=wrong-import-position

cpu_flags = board.get("build.cpu_flags").split()

env.Replace(
    AR="arm-none-eabi-gcc-ar",
    AS="arm-none-eabi-as",
    CC="arm-none-eabi-gcc",
    CXX="arm-none-eabi-g++",
    GDB="arm-none-eabi-gdb",
    OBJCOPY="arm-none-eabi-objcopy",
    RANLIB="arm-none-eabi-gcc-ranlib",
    SIZETOOL="arm-none-eabi-size",
    ARFLAGS=["rc"],
    SIZEPROGREGEXP=r"^(?:\.isr_vector|\.text|\.ARM\.exidx|\.ARM\.extab|\.preinit_array|\.init_array|\.fini_array|\.data)\s+(\d+).*",
    SIZEDATAREGEXP=r"^(?:\.data|\.bss|\.heap)\s+(\d+).*",
    SIZECHECKCMD="$SIZETOOL -A -d $SOURCES",
    SIZEPRINTCMD="$SIZETOOL -B -d $SOURCES",
    PROGNAME="firmware",
    PROGSUFFIX=".elf",
)

env.Append(
    ASFLAGS=cpu_flags,
    ASPPFLAGS=["-x", "assembler-with-cpp"],
    CCFLAGS=cpu_flags + [
        "-O2",
        "-g3",
        "-ffunction-sections",
        "-fdata-sections",
        "-Wall",
    ],
    CFLAGS=["-std=gnu11"],
    CXXFLAGS=["-fno-rtti", "-fno-exceptions"],
    CPPDEFINES=[
        ("F_CPU", "$BOARD_F_CPU"),
        ("GEN_QEMU_MACHINE", '\\"%s\\"' % board.get("build.qemu_machine")),
        "GEN_FW_QEMU",
    ],
    LINKFLAGS=cpu_flags + [
        "--specs=rdimon.specs",
        "-nostartfiles",
        "-Wl,--gc-sections",
        "-Wl,-Map,${BUILD_DIR}/firmware.map",
        "-L", os.path.join(platform_dir, "ldscripts"),
    ],
    LIBS=["m"],
)

if not board.get("build.ldscript", ""):
    sys.stderr.write("Error: board %s has no build.ldscript\n" % env.subst("$BOARD"))
    env.Exit(1)
env.Replace(LDSCRIPT_PATH=os.path.join(platform_dir, "ldscripts", board.get("build.ldscript")))

env.Append(
    BUILDERS=dict(
        ElfToBin=Builder(
            action=env.VerboseAction(
                "$OBJCOPY -O binary $SOURCES $TARGET", "Building $TARGET"
            ),
            suffix=".bin",
        )
    )
)

#
# Target: build
#
target_elf = env.BuildProgram()
target_bin = env.ElfToBin(os.path.join("$BUILD_DIR", "${PROGNAME}"), target_elf)
env.Depends(target_bin, "checkprogsize")

AlwaysBuild(env.Alias("nobuild", target_elf))
target_buildprog = env.Alias("buildprog", target_bin, target_bin)

#
# Target: size
#
target_size = env.Alias(
    "size", target_elf, env.VerboseAction("$SIZEPRINTCMD", "Calculating size $SOURCE")
)
AlwaysBuild(target_size)

#
# Target: upload = run in QEMU
#


def run_in_qemu(target, source, env):  # pylint: disable=unused-argument
    elf = str(source[0])
    timeout = float(env.GetProjectOption("custom_qemu_timeout", "600"))
    log = os.path.join(env.subst("$BUILD_DIR"), "qemu.log")
    status = qemu.run(
        board.get("build.qemu_machine"), elf, timeout=timeout, log_path=log,
        echo=True,
    )
    print("qemu: %s exited with status %d (log: %s)" % (os.path.basename(elf), status, log))
    return status  # non-zero fails the PlatformIO target


upload = env.Alias(
    "upload", target_elf, env.VerboseAction(run_in_qemu, "Running $SOURCE in QEMU")
)
AlwaysBuild(upload)

Default([target_buildprog, target_size])
