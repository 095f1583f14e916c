"""Typed errors with messages a person can act on.

Every error raised on purpose by ``core`` is a :class:`SkewlabError`. Its message says what is
wrong and, where there is one, what to do about it. Pages show ``str(error)``; the CLI prints it
on one line and exits with code 2. Anything else that escapes core is a programming error
(a bug), not bad input: it is never dressed up as a :class:`SkewlabError`.

Every error pickles (it crosses process boundaries in parallel evaluation) with its hint and
attributes intact.
"""

from __future__ import annotations


class SkewlabError(Exception):
    """Base class of every error that core raises on purpose."""

    #: A short hint that tells the analyst the way forward (may be empty).
    hint: str = ""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        if hint:
            self.hint = hint

    def __str__(self) -> str:  # message, then the way forward
        base = super().__str__()
        return f"{base} {self.hint}".strip() if self.hint else base

    @property
    def message(self) -> str:
        """The message without the hint."""
        return super().__str__()

    def __reduce__(self):  # keyword-only arguments and attributes survive pickling
        return _rebuild, (type(self), self.message, dict(self.__dict__))


def _rebuild(cls: type[SkewlabError], message: str, state: dict) -> SkewlabError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class LoadError(SkewlabError):
    """The file cannot be read as a table."""


class SchemaError(SkewlabError):
    """The table cannot be used as chosen (missing column, bad label, too few classes...)."""


class SmallClassError(SkewlabError):
    """Some classes are too small for the chosen method.

    Attributes
    ----------
    classes : dict[str, int]
        The offending classes and their row counts.
    needed : int
        Rows a class needs for the method.
    """

    def __init__(self, message: str, *, classes: dict[str, int], needed: int, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.classes = dict(classes)
        self.needed = int(needed)


class ParameterError(SkewlabError):
    """A strategy, target or classifier parameter is out of its allowed range."""


class ResourceError(SkewlabError):
    """A run would need more memory or rows than this machine can give."""


class RecipeError(SkewlabError):
    """A recipe file is malformed, hostile, or does not fit the input."""
