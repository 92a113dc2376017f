#!/usr/bin/env python3
"""Provision PlatformIO's core package ``tool-scons`` without the PlatformIO registry.

PlatformIO runs every build through SCons, which it normally downloads from its own
registry as the core package ``tool-scons``. On machines that reach PyPI but not that
registry (this project's CI), ``pio run`` would fail before compiling anything. This
script builds the same package from PyPI's ``scons`` and registers it in the core
directory ($PLATFORMIO_CORE_DIR, default ~/.platformio):

    <core>/packages/tool-scons/
        SCons/ ...         PyPI's scons (pip install --target, or copied from site-packages)
        scons.py           entry point PlatformIO runs (``python scons.py ...``)
        package.json       name tool-scons, version matching PlatformIO's requirement
        .piopm             package metadata, owner "platformio"

It is idempotent: if PlatformIO already resolves a tool-scons package that satisfies its
requirement (installed from the registry or by an earlier run), nothing is touched, so it
is harmless on connected machines. Run it once before the first ``pio run``:

    python boards/pio_offline_setup.py          # prints the package path
    python boards/pio_offline_setup.py --check  # exit 1 if tool-scons is missing

Set PLATFORMIO_SETTING_ENABLE_TELEMETRY=No and PLATFORMIO_DISABLE_UPGRADE_CHECK=true as
well (see ``offline_env()``), so PlatformIO does not try to reach the network on its own.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

OFFLINE_ENV = {
    "PLATFORMIO_SETTING_ENABLE_TELEMETRY": "No",
    "PLATFORMIO_DISABLE_UPGRADE_CHECK": "true",
    "PLATFORMIO_SETTING_CHECK_PLATFORMIO_INTERVAL": "3650",
    "PLATFORMIO_SETTING_CHECK_PRUNE_SYSTEM_THRESHOLD": "0",
}

SCONS_PY = '''\
#!/usr/bin/env python
# Entry point written by boards/pio_offline_setup.py: PlatformIO runs
# "python <tool-scons>/scons.py ..."; the SCons package sits next to this file.
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import SCons.Script  # noqa: E402

SCons.Script.main()
'''


def offline_env(base=None):
    """Environment for running ``pio`` without network access attempts."""
    env = dict(os.environ if base is None else base)
    env.update(OFFLINE_ENV)
    return env


def core_dir():
    try:
        from platformio.project.config import ProjectConfig  # noqa: F401
        from platformio.project.helpers import get_project_core_dir

        return get_project_core_dir()
    except Exception:  # pragma: no cover - fallback without platformio internals
        return os.environ.get(
            "PLATFORMIO_CORE_DIR", os.path.join(os.path.expanduser("~"), ".platformio")
        )


def scons_requirement():
    """The tool-scons version spec PlatformIO asks for (e.g. '~4.41101.0')."""
    from platformio.dependencies import get_core_dependencies

    return get_core_dependencies()["tool-scons"]


def package_version(requirement):
    """Smallest version satisfying '~X.Y.Z' / '^X.Y.Z' / 'X.Y.Z' specs."""
    return requirement.lstrip("~^=<>! ").split(",")[0].strip()


def installed_ok():
    """Path of a tool-scons package PlatformIO accepts, else None (never installs)."""
    try:
        from platformio.package.manager.core import get_core_package_dir

        return get_core_package_dir("tool-scons", auto_install=False)
    except Exception:
        return None


def scons_version_for(pkg_version):
    """4.41101.0 -> '4.11.1' (PlatformIO encodes scons X.YY.ZZ as X.4YYZZ.0)."""
    major, minor, _ = pkg_version.split(".")
    rest = minor[1:] if len(minor) == 5 and minor[0] == "4" else minor
    return "%s.%d.%d" % (major, int(rest[:2]), int(rest[2:4]))


def install_scons(target, scons_version):
    """Put PyPI's SCons package into ``target``: pip first, local copy as fallback."""
    try:
        import SCons

        local_version = getattr(SCons, "__version__", "")
    except ImportError:
        SCons, local_version = None, ""
    if SCons is not None and local_version == scons_version:
        src = os.path.dirname(SCons.__file__)
        shutil.copytree(src, os.path.join(target, "SCons"),
                        ignore=shutil.ignore_patterns("__pycache__"))
        return "copied SCons %s from %s" % (local_version, src)
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
           "--disable-pip-version-check", "--target", target,
           "scons==%s" % scons_version]
    if subprocess.call(cmd) != 0:
        if SCons is None:
            raise SystemExit("pio_offline_setup: cannot install scons from PyPI")
        src = os.path.dirname(SCons.__file__)
        shutil.copytree(src, os.path.join(target, "SCons"),
                        ignore=shutil.ignore_patterns("__pycache__"))
        return "copied SCons %s from %s (pip failed)" % (local_version, src)
    return "pip installed scons==%s" % scons_version


def provision(verbose=True):
    existing = installed_ok()
    if existing:
        if verbose:
            print("tool-scons present: %s" % existing)
        return existing
    requirement = scons_requirement()
    version = package_version(requirement)
    packages = os.path.join(core_dir(), "packages")
    dest = os.path.join(packages, "tool-scons")
    os.makedirs(packages, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="_tmp_tool-scons-", dir=packages)
    os.chmod(tmp, 0o755)
    try:
        how = install_scons(tmp, scons_version_for(version))
        with open(os.path.join(tmp, "scons.py"), "w") as fp:
            fp.write(SCONS_PY)
        manifest = {
            "name": "tool-scons",
            "version": version,
            "description": "SCons software construction tool (from PyPI, provisioned "
                           "offline by boards/pio_offline_setup.py)",
            "keywords": ["build tools"],
            "homepage": "http://www.scons.org",
            "license": "MIT",
        }
        with open(os.path.join(tmp, "package.json"), "w") as fp:
            json.dump(manifest, fp, indent=2)
        meta = {
            "type": "tool",
            "name": "tool-scons",
            "version": version,
            "spec": {"owner": "platformio", "id": None, "name": "tool-scons",
                     "requirements": requirement, "uri": None},
        }
        with open(os.path.join(tmp, ".piopm"), "w") as fp:
            json.dump(meta, fp)
        if os.path.isdir(dest):  # unusable leftover (wrong version / broken)
            shutil.rmtree(dest)
        os.rename(tmp, dest)
    finally:
        if os.path.isdir(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
    found = installed_ok()
    if not found:
        raise SystemExit("pio_offline_setup: PlatformIO does not accept %s" % dest)
    if verbose:
        print("tool-scons %s provisioned at %s (%s)" % (version, found, how))
    return found


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="only report; exit 1 when tool-scons is missing")
    ap.add_argument("-q", "--quiet", action="store_true")
    args = ap.parse_args(argv)
    os.environ.update(OFFLINE_ENV)
    if args.check:
        path = installed_ok()
        print(path or "tool-scons missing")
        return 0 if path else 1
    provision(verbose=not args.quiet)
    return 0


if __name__ == "__main__":
    sys.exit(main())
