"""A mistyped command line in one line: what click would tell with a usage block (a value
that is not a number, an unknown option, a missing argument, a folder given as a file),
told as every other error of the ledger is, in the clerk's language, with where to look."""

from __future__ import annotations

import importlib
import re
from types import ModuleType
from typing import Any

import typer


def click_exceptions() -> ModuleType:
    """The exceptions of the click that typer runs on (its own copy since typer 0.26)."""
    return importlib.import_module(typer.BadParameter.__module__)


def one_line(e: Any, lang: str) -> str:
    """The one line for click's exception ``e``, in ``lang``."""
    click = click_exceptions()
    from .i18n import t

    ctx = getattr(e, "ctx", None)
    # As the clerk typed it: "ledger issue show", whatever the program was started as.
    words = ctx.command_path.split()[1:] if ctx is not None else []
    command = " ".join(["ledger", *words])
    prefix = "error: " if lang == "en" else "错误:"
    message = getattr(e, "message", "") or ""
    number = re.fullmatch(r"'(.*)' is not a valid (?:int|integer|float)\.?", message, re.S)
    folder = re.fullmatch(r"(?:File|Path|Directory) '(.*)' is a directory\.?", message, re.S)
    if isinstance(e, click.NoSuchOption):
        text = t("usage.no_such_option", lang, option=e.option_name, command=command)
    elif isinstance(e, click.MissingParameter):
        text = t("usage.missing", lang, param=_param(e), command=command)
    elif isinstance(e, click.BadParameter) and number:
        text = t("usage.not_a_number", lang, param=_param(e), value=number[1], command=command)
    elif isinstance(e, click.BadParameter) and folder:
        text = t("file.is_dir", lang, path=folder[1])
    elif isinstance(e, click.BadParameter):
        text = t("usage.bad_value", lang, param=_param(e), why=message, command=command)
    elif isinstance(e, click.UsageError):
        text = t("usage.other", lang, why=e.message, command=command)
    else:
        text = e.format_message()
    return prefix + text


def _param(e: Any) -> str:
    param = getattr(e, "param", None)
    if param is not None:
        opts = getattr(param, "opts", None) or []
        if getattr(param, "param_type_name", "") == "argument":
            return (param.human_readable_name or param.name or "").upper()
        if opts:
            return "/".join(opts)
    return getattr(e, "param_hint", None) or ""
