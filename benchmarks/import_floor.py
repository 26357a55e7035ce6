"""The import's floor in Python: the rows a `ledger import` wrote, copied into a ledger that
holds its places, units and people by the import's own bulk path and nothing else.

    python benchmarks/import_floor.py TARGET SOURCE [--encode]

TARGET is a ledger with the registers and no demands; SOURCE the ledger the import wrote.
The demands and their import events are read from SOURCE (streamed) and written into TARGET
as `ledger import` writes them: Python's sqlite3 ``executemany`` a batch of 500 at a time,
inside one transaction, with the secondary indexes and triggers set aside and rebuilt by
``BulkDemands.begin_load``/``end_load`` (the import's own code), the import's page cache and
temporary files. Nothing is read from a CSV, checked, or computed: what is left is the cost
of the writes themselves, as Python makes them.

With ``--encode``, each journal row's data is also decoded and encoded again with the
journal's encoder and chained by its hash (``Journal.write_many``), as the import does: the
floor of a checked import that keeps the journal as it is designed.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ledger.io.importer import BATCH, CACHE_KIB  # noqa: E402
from ledger.services import Ledger, open_ledger  # noqa: E402


def main() -> None:
    target, source = sys.argv[1], sys.argv[2]
    encode = "--encode" in sys.argv[3:]
    db = open_ledger(target)
    L = Ledger(db, today=date(2026, 11, 17), now="2026-11-17T12:00:00")
    db.set_cache(CACHE_KIB)
    db.execute("PRAGMA temp_store = FILE")
    db.execute(f"attach database '{source}' as src")
    t = time.perf_counter()
    with db.atomic():
        bulk = L.demands.bulk()
        bulk.begin_load()
        columns = [c[1] for c in db.conn.execute("PRAGMA main.table_info(demands)")]
        demands = db.conn.execute(f"select {', '.join(columns)} from src.demands order by id")
        insert = (f"insert into demands ({', '.join(columns)}) "
                  f"values ({', '.join('?' * len(columns))})")
        events = db.conn.cursor().execute(
            "select * from src.journal where subject = 'demand' and action = 'import' "
            "order by id")
        jcols = [d[0] for d in events.description]
        at = {c: i for i, c in enumerate(jcols)}
        rows = 0
        while True:
            batch = demands.fetchmany(BATCH)
            if not batch:
                break
            db.conn.executemany(insert, batch)
            journal = events.fetchmany(len(batch))
            if encode:
                L.journal.write_many([L.journal.row(
                    "demand", r[at["subject_id"]], "import", r[at["on_date"]],
                    json.loads(r[at["data"]])) for r in journal])
            else:
                db.conn.executemany(f"insert into journal ({', '.join(jcols)}) values "
                                    f"({', '.join('?' * len(jcols))})", journal)
            rows += len(batch)
        bulk.end_load()
        bulk.done()
    db.execute("detach database src")
    seconds = time.perf_counter() - t
    print(f"{rows} {seconds:.3f}")


if __name__ == "__main__":
    main()
