"""The ``ledger`` commands, one module per group. Each command is thin: parse its options,
open the ledger through the session (``ctx.obj``, a ``ledger.cli.Session``), make one
service call, render what it returns.

    places      township, village, unit, cadre, category, channel, type, method
    residents   resident: add, show, find, tag (一人一账)
    visits      visit: log, list
    issues      issue: add, every step of a demand's life, show, list
    meetings    meeting: agenda, add, decide, list, show (the Tuesday meeting)
    deadlines   due, overdue, calendar, policy
    reports     summary, report, setting
    data        export, import, merge, check, backup, restore, undo
    demo        demo
    options     the options several commands share, declared once
    listing     how a list of demands is shown: table, CSV or JSON

A module with commands of the top level registers them on its ``commands`` (a
``typer.Typer`` used only to collect them); a module with groups lists them in ``GROUPS``
(name, app). ``ledger.cli`` registers both on the root app, in the order of ``--help``, and
puts every command through its one error map: no command turns an error into an exit code
of its own. Nothing here imports more than typer at start-up: the domain, rich and the
formats are imported inside the commands.
"""
