"""C literals: identifiers (the C prefix), comments (the one way model text reaches the C), numbers."""
from __future__ import annotations

import hashlib
import keyword
import math
import re

import numpy as np

from .errors import GenError

C_KEYWORDS = set("""auto break case char const continue default do double else enum extern float for goto if inline
int long register restrict return short signed sizeof static struct switch typedef union unsigned void volatile while
_Bool _Complex _Imaginary main""".split())

# The C prefix names files (NAME.h, NAME.c, NAME_plan.json) and every external identifier
# (NAME_run, NAME_ARENA_SIZE, ...). It is at most MAX_PREFIX characters (file names stay short;
# every MLPerf Tiny model's file name fits), never in the namespaces of gen's runtime files and helpers (gen_f32.h, gen_testvec.c, gen_tv_run, arm_*.c,
# cmsis_nn_*), and never the name of a C library header (a model called math would write math.h,
# which `-I DIR` puts in front of <math.h>).
MAX_PREFIX = 40
RESERVED_NAMESPACES = ("gen", "arm", "cmsis")
C_HEADERS = set("""assert complex ctype errno fenv float inttypes iso646 limits locale math setjmp signal stdalign
stdarg stdatomic stdbool stddef stdint stdio stdlib stdnoreturn string tgmath threads time uchar wchar wctype
alloca malloc memory unistd arm_acle arm_math""".split())


def _sanitize(text: str) -> str:
    s = re.sub(r"[^0-9a-zA-Z_]", "_", text.encode("ascii", "replace").decode()).strip("_").lower()
    s = re.sub(r"_+", "_", s) or "model"
    if s[0].isdigit():
        s = "m_" + s
    if s in C_KEYWORDS or keyword.iskeyword(s):
        s += "_model"
    return s


def _clash(prefix: str) -> str | None:
    for ns in RESERVED_NAMESPACES:
        if prefix == ns or prefix.startswith(ns + "_"):
            return f"'{prefix[:MAX_PREFIX]}' is in the {ns}_ namespace of gen's runtime (gen_f32.h, gen_testvec.c, arm_*.c, ...)"
    if prefix in C_HEADERS:
        return f"{prefix}.h would shadow the C library's <{prefix}.h>"
    return None


def reserved(prefix: str) -> str | None:
    """Why `prefix` (a sanitized one) cannot be a C prefix, or None."""
    clash = _clash(prefix)
    if clash:
        return clash
    if len(prefix) > MAX_PREFIX:
        return f"'{prefix[:20]}...' is {len(prefix)} characters, at most {MAX_PREFIX}"
    return None


def c_identifier(text: str) -> str:
    """The C prefix from any text (a model's file name): only [a-z0-9_], starting with a letter, at most
    MAX_PREFIX characters, not reserved (see above); the same text always gives the same prefix."""
    s = _sanitize(text)
    if _clash(s):
        s = "m_" + s
    if len(s) > MAX_PREFIX:     # long names: a head and a hash of the whole text, so they stay distinct
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        s = s[:MAX_PREFIX - 9].rstrip("_") + "_" + digest
    return s


def user_prefix(text: str) -> str:
    """The C prefix for --name: sanitized like c_identifier, but refused (GenError) rather than changed
    when it collides with gen's own names or is too long."""
    s = _sanitize(text)
    why = reserved(s)
    if why:
        shown = text if len(text) <= 60 else text[:57] + "..."
        raise GenError(f"--name '{shown}' cannot be the C prefix: {why}")
    return s


# what a comment may hold as it is; everything else becomes <U+XXXX>. Not '*' (no comment delimiter
# can form), '\\' (line splices), '?' (trigraphs: ??/ is a backslash), '<' (the escape itself) or any
# control character, non-ASCII character or surrogate. '/' (common in names: "model/conv2d/Conv2D")
# only inside the text, never first or last, so it never meets a '*' around it.
COMMENT_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 !\"#$%&'()+,-.:;=>@[]^_`{|}~")
COMMENT_MAX = 120      # characters of the name kept (a longer one is cut, and says so with ...)


def comment(text: str) -> str:
    """The one way model text (a node, tensor or file name) reaches the generated C: as text inside a
    /* block comment */ that nothing can end, splice or turn into code, whatever stands around it.
    Printable ASCII but '*', '\\', '?' and '<' stays ('/' when not first or last); every other code
    point is written <U+XXXX>. At most COMMENT_MAX characters of the text are kept (then '...')."""
    head = text[:COMMENT_MAX]
    out = [ch if ch in COMMENT_SAFE or (ch == "/" and 0 < i < len(head) - 1) else f"<U+{ord(ch):04X}>"
           for i, ch in enumerate(head)]
    return "".join(out) + ("..." if len(text) > COMMENT_MAX else "")


def c_float(x: float) -> str:
    x = float(np.float32(x))
    if math.isnan(x):
        return "NAN"
    if math.isinf(x):
        return "FLT_MAX" if x > 0 else "-FLT_MAX"
    s = "%.9g" % x
    if not any(ch in s for ch in ".e"):
        s += ".0"
    return s + "f"


def c_values(data: np.ndarray) -> list[str]:
    flat = data.reshape(-1)
    if data.dtype == np.float32:
        return [c_float(v) for v in flat.tolist()]
    if data.dtype == np.int32:
        return [str(v) if v != -2147483648 else "(-2147483647 - 1)" for v in flat.tolist()]
    if data.dtype == np.int64:   # INT64_C past int32 (long is 32 bits on the targets); INT64_MIN spelled out
        return [str(v) if -2**31 < v < 2**31 else "(-INT64_C(9223372036854775807) - 1)" if v == -2**63
                else f"INT64_C({v})" for v in flat.tolist()]
    if data.dtype == np.bool_:
        return [str(int(v)) for v in flat.tolist()]
    return [str(v) for v in flat.tolist()]
