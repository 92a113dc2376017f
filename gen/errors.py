"""The one exception a user of gen ever sees.

Everything that is wrong with the user's input (file, model, options) is raised as GenError; the
CLI prints it as one line and exits with status 2. Anything else escaping is a bug in gen.
"""


class GenError(Exception):
    """A problem with the user's input: `what` is a sentence, `node` names where it is."""

    def __init__(self, what: str, node: str | None = None, op: str | None = None):
        self.what = what
        self.node = node
        self.op = op
        super().__init__(self.line())

    def line(self) -> str:
        where = ""
        if self.node is not None or self.op is not None:
            parts = []
            if self.op:
                parts.append(self.op)
            if self.node is not None:
                parts.append(f"node '{self.node}'")
            where = " (" + " ".join(parts) + ")"
        return _printable(f"error{where}: {self.what}")


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """'1 layer', '2 layers', '1,024 inputs': a count with its noun in the right number (every message)."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def _printable(text: str) -> str:
    """One line whatever the model's names hold: control characters (newlines) as escapes."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
