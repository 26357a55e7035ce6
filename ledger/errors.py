"""The one error hierarchy of the ledger.

Domain code raises these with a message key and its parameters; the CLI renders the
message in the user's language and turns the class into an exit code. Nothing here knows
about typer or rich.
"""

from __future__ import annotations


class LedgerError(Exception):
    """Something the user should be told in one line. Exit code 1 unless a subclass says."""

    exit_code = 1

    def __init__(self, key: str, **params: object) -> None:
        self.key = key
        self.params = params
        super().__init__(key)

    def message(self, lang: str = "zh") -> str:
        from .i18n import t

        return t(self.key, lang, **self.params)

    def __str__(self) -> str:
        return self.message("zh")


class UsageError(LedgerError):
    """The command was given something it cannot use: bad names, dates, text, numbers."""

    exit_code = 2


class NotFound(UsageError):
    """A name or number that is not in the ledger."""


class BadInput(UsageError):
    """A value that is malformed or empty."""


class Refused(LedgerError):
    """A lifecycle step that makes no sense for the demand as it stands."""

    exit_code = 1


class LedgerFileError(LedgerError):
    """The ledger file cannot be opened or is not a ledger."""

    exit_code = 1


class Interrupted(LedgerError):
    """Ctrl-C (or SIGTERM) after a command had written what it says it wrote: the line
    names it, where the plain interruption says nothing was written. Exit 130, as for any
    interruption."""

    exit_code = 130
