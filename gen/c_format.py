"""Layout of the generated C text: block comments that wrap, and long statements one argument per line.

The rule the generated files keep: no line over WIDTH characters outside data arrays. A data array is
the block a DATA_ARRAY_OPEN line opens (`static const T name[N] = {` or `[N][M]`, alone on its line)
up to its `};`: its value rows are as long as they need to be.
"""
from __future__ import annotations

import re

WIDTH = 120
INDENT = "    "
DATA_ARRAY_OPEN = re.compile(r"^static const [A-Za-z_][\w ]* \**[A-Za-z_]\w*(\[\d+\])+ = \{$")
_ESCAPE = re.compile(r"<U\+[0-9A-F]{4,6}>")


def block_comment(lines: list[str], indent: str = "") -> list[str]:
    """A /* block comment */ of text lines (model text in them already escaped by c_literals.comment).
    One line when it fits; else the first line after `/* `, the next ones after ` * `, each long text line
    cut to fit (never inside an escape <U+XXXX>; a cut piece always follows '/* ' or ' * ' and ends its
    line, so a '/' at a cut meets no '*')."""
    if len(lines) == 1 and len(indent) + len(lines[0]) + 6 <= WIDTH:
        return [f"{indent}/* {lines[0]} */"]
    room = WIDTH - len(indent) - 3
    out = []
    for text in lines:
        hang = text[:len(text) - len(text.lstrip())] + INDENT    # continued pieces hang under their line
        for k, piece in enumerate(_cut(text.lstrip(), room - len(hang))):
            lead = "/*" if not out else " *"
            out.append(f"{indent}{lead} {hang if k else hang[:-len(INDENT)]}{piece}".rstrip())
    out.append(f"{indent} */")
    return out


def _cut(text: str, room: int) -> list[str]:
    if len(text) <= room:
        return [text]
    # the cut points: after a space, or between characters that are not inside an escape
    inside = set()
    for m in _ESCAPE.finditer(text):
        inside.update(range(m.start() + 1, m.end()))
    pieces, start = [], 0
    while len(text) - start > room:
        end = start + room
        cut = text.rfind(" ", start + 1, end + 1)
        if cut <= start:
            cut = end
            while cut in inside and cut > start + 1:
                cut -= 1
        pieces.append(text[start:cut].rstrip())
        start = cut + (text[cut:cut + 1] == " ")
    pieces.append(text[start:])
    return [p for p in pieces if p] or [""]


def layout(lines: list[str]) -> list[str]:
    """Every line over WIDTH outside data arrays, comments and preprocessor lines, wrapped: a call one
    argument per line, a brace initializer filled up to WIDTH."""
    out, in_data = [], False
    for line in "\n".join(lines).split("\n"):
        if in_data:
            out.append(line)
            in_data = line != "};"
        elif DATA_ARRAY_OPEN.match(line):
            out.append(line)
            in_data = True
        else:
            out.extend(wrap(line))
    return out


def wrap(line: str, depth: int = 0) -> list[str]:
    if len(line) <= WIDTH or depth > 8 or line.lstrip().startswith(("/*", "*", "#")):
        return [line]
    indent = line[:len(line) - len(line.lstrip())]
    group = _first_list(line)
    if group is None:
        return [line]
    open_at, close_at, args = group
    head, tail = line[:open_at + 1], line[close_at:]
    inner = indent + INDENT
    if line[open_at] == "(":
        rows = [inner + a + "," for a in args[:-1]] + [inner + args[-1] + tail]
    else:   # a brace initializer: as many fields a line as fit
        rows, cur = [], ""
        for k, a in enumerate(args):
            item = a + ("," if k < len(args) - 1 else "")
            if cur and len(inner) + len(cur) + 1 + len(item) > WIDTH:
                rows.append(inner + cur)
                cur = item
            else:
                cur = f"{cur} {item}" if cur else item
        rows += [inner + cur, indent + tail]
    res = [head]
    for r in rows:
        res.extend(wrap(r, depth + 1))
    return res


def _first_list(line: str) -> tuple[int, int, list[str]] | None:
    """The first (...) or {...} group of the line holding a comma at its own level: its opening and
    closing positions and its items (stripped). String and character literals are skipped."""
    stack, quote, k = [], None, 0
    groups = {}
    while k < len(line):
        ch = line[k]
        if quote:
            if ch == "\\":
                k += 1
            elif ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch in "({[":
            stack.append(k)
            groups[k] = [k + 1]
        elif ch in ")}]":
            if not stack:
                return None
            o = stack.pop()
            groups[o].append(k)
            groups[o] = (groups[o], True)
        elif ch == "," and stack:
            groups[stack[-1]].append(k + 1)
        k += 1
    for o in sorted(groups):
        g = groups[o]
        if not isinstance(g, tuple) or line[o] == "[":
            continue
        cuts = g[0]
        if len(cuts) > 2:   # start, at least one comma, end
            close = cuts[-1]
            bounds = cuts[:-1] + [close + 1]
            args = [line[bounds[i]:bounds[i + 1] - 1].strip() for i in range(len(bounds) - 1)]
            return o, close, args
    return None


def items(text: str) -> list[str]:
    """The comma-separated items of an initializer's inside, split at its own level (not inside (), {}
    or [])."""
    out, depth, start = [], 0, 0
    for k, ch in enumerate(text):
        if ch in "({[":
            depth += 1
        elif ch in ")}]":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(text[start:k].strip())
            start = k + 1
    last = text[start:].strip()
    return out + [last] if last or out else out


def designated(ctype: str, init: str, structs: dict) -> str:
    """A positional initializer's inside (`-83, -128, {2, 2}, ...`) of a struct `ctype` made designated
    (`.input_offset = -83, .output_offset = -128, .stride = {.w = 2, .h = 2}, ...`). `structs` maps each
    struct type to its fields in order, (name, field type, is_array); a member of a struct type in
    `structs` is designated too, an array member stays a list. An initializer already designated, or with
    more items than the struct has fields, is kept as it is (fewer: the fields left out are zero, as in C)."""
    fields = structs[ctype]
    vals = items(init)
    if not vals or vals[0].startswith(".") or len(vals) > len(fields):
        return init
    out = []
    for (name, ftype, is_array), v in zip(fields, vals):
        if not is_array and ftype in structs and v.startswith("{") and v.endswith("}"):
            v = "{" + designated(ftype, v[1:-1], structs) + "}"
        out.append(f".{name} = {v}")
    return ", ".join(out)
