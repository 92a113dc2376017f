"""C literals: identifiers (the C prefix), comments (the one way model text reaches the C), numbers."""
from __future__ import annotations

import hashlib
import keyword
import math
import re
import unicodedata

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


# Identifiers of a model's constants are `<prefix>_<node>_<role>` (kws_conv_5_weights): <node> is the
# node's name made an identifier by node_identifiers, the only way a node name reaches an identifier.
NODE_NAME_MAX = 32      # characters of the node's name kept in an identifier
# words gen's own identifiers use after the prefix (kws_arena, kws_invoke, kws_guard_ok, kws_run_s8,
# kws_dims_1x49x10x1, kws_ctx_none): a node part never is one nor starts with one and '_'
NODE_RESERVED = ("arena", "invoke", "guard", "run", "dims", "ctx")


def node_identifier(name: str) -> str:
    """One node's name as an identifier part: only [a-z0-9_], starting with a letter, no run of '_' and
    none at either end, at most NODE_NAME_MAX characters (a longer name keeps its head and its tail),
    never empty ('node'), never a C keyword nor one of NODE_RESERVED (then '_node' behind or 'node_' in
    front). Accented letters lose their accents; other non-ASCII characters, like punctuation, become '_'."""
    ascii_ = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    if len(ascii_) < len(name) // 2:     # mostly not Latin: keep the characters' places
        ascii_ = "".join(ch if ch.isascii() else "_" for ch in name)
    s = re.sub(r"_+", "_", re.sub(r"[^0-9a-z]", "_", ascii_.lower())).strip("_")
    if len(s) > NODE_NAME_MAX:    # the head and the tail (paths such as model/conv2d_1/BiasAdd end in the detail)
        s = s[:11].rstrip("_") + "_" + s[-(NODE_NAME_MAX - 12):].lstrip("_")
    s = s or "node"
    if s[0].isdigit():
        s = "n" + s[:NODE_NAME_MAX - 1].rstrip("_")
    if s in C_KEYWORDS or keyword.iskeyword(s):
        s += "_node"
    if any(s == r or s.startswith(r + "_") for r in NODE_RESERVED):
        s = ("node_" + s)[:NODE_NAME_MAX].rstrip("_")
    return s


def node_identifiers(names) -> dict[str, str]:
    """Every node name (in schedule order) -> its identifier part (node_identifier), unique over the
    names: where two names give the same part ('a-b' and 'a_b', long names alike in the head and tail
    they keep), the first keeps it and each next one gets the smallest free suffix
    _2, _3, ... So the same names in the same order always give the same identifiers."""
    names = list(dict.fromkeys(names))
    base = {n: node_identifier(n) for n in names}
    taken = set(base.values())
    out, used = {}, set()
    for n in names:
        s = base[n]
        if s in used:
            k = 2
            while f"{s}_{k}" in taken:
                k += 1
            s = f"{s}_{k}"
            taken.add(s)
        used.add(s)
        out[n] = s
    return out


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
    if data.dtype == np.float32:    # an infinity in data (a copied constant) stays one (c_float: FLT_MAX)
        return [("INFINITY" if v > 0 else "-INFINITY") if math.isinf(v) else c_float(v) for v in flat.tolist()]
    if data.dtype == np.int32:
        return [str(v) if v != -2147483648 else "(-2147483647 - 1)" for v in flat.tolist()]
    if data.dtype == np.int64:   # INT64_C past int32 (long is 32 bits on the targets); INT64_MIN spelled out
        return [str(v) if -2**31 < v < 2**31 else "(-INT64_C(9223372036854775807) - 1)" if v == -2**63
                else f"INT64_C({v})" for v in flat.tolist()]
    if data.dtype == np.bool_:
        return [str(int(v)) for v in flat.tolist()]
    return [str(v) for v in flat.tolist()]
