"""The frozen program's entry point: what `ledger` (the console script) runs."""

from ledger.cli import main

main()
