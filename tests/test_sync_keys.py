"""Ledger keys and signed bundles, tried as a hostile township or a meddling courier would:
a bundle re-signed with another key, a township's history re-chained under a new identity
that takes its name, content changed after signing, a signature stripped, an unsigned bundle
of an older version. Each refusal: its exit code, one line that says what to do, the
receiving ledger's file byte for byte unchanged, and ``ledger check`` passing."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import sqlite3
import uuid
from pathlib import Path

import pytest

from ledger.io.bundle import content_digest
from ledger.io.signing import fingerprint, normalise, public_key, sign, verify
from ledger.store.journal import GENESIS, chain_hash

from .conftest import Cli
from .test_sync import at, check_passes, escalated_case, make_county, make_township


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def county_and_town(tmp_path: Path, monkeypatch) -> tuple[Path, Path, Cli]:
    """A county that has taken 青石镇's first bundle (its key pinned), and 青石镇 with a
    second week to send."""
    monkeypatch.chdir(tmp_path)
    county, town = tmp_path / "县汇总.db", tmp_path / "青石镇.db"
    make_county(county)
    make_township(town, "青石镇")
    with at(town, "2026-11-03", "10:00") as L:
        escalated_case(L, "屋顶漏水", "2026-11-03")
    cli = Cli(county)
    r = cli("sync", "export", "--db", str(town), "-o", "w1.bundle", today="2026-11-03")
    assert r.exit_code == 0, r.output
    r = cli("sync", "import", "w1.bundle", "--db", str(county), today="2026-11-04")
    assert r.exit_code == 0, r.output
    with at(town, "2026-11-10", "10:00") as L:
        escalated_case(L, "路灯不亮", "2026-11-10")
    r = cli("sync", "export", "--db", str(town), "-o", "w2.bundle", today="2026-11-10")
    assert r.exit_code == 0, r.output
    return county, town, cli


def seed_of(path: Path) -> str:
    with contextlib.closing(sqlite3.connect(path)) as c:
        return c.execute("select value from meta where key = 'signing_key'").fetchone()[0]


def fingerprint_of(cli: Cli, path: Path) -> str:
    r = cli("sync", "status", "--db", str(path))
    assert r.exit_code == 0, r.output
    found = re.search(r"密钥指纹:((?:[0-9a-f]{4} ){7}[0-9a-f]{4})", r.output)
    assert found, r.output
    return found.group(1)


def resign(bundle: Path, seed: str) -> None:
    """Sign the bundle's content as it now stands with ``seed`` (an attacker's own key)."""
    with contextlib.closing(sqlite3.connect(bundle)) as c:
        c.execute("delete from info where key in ('signed_by', 'signature')")
        c.execute("insert into info values ('signed_by', ?)", [public_key(seed)])
        c.commit()
        c.execute("insert into info values ('signature', ?)", [sign(seed, content_digest(c))])
        c.commit()


def rechain(c: sqlite3.Connection) -> None:
    """The bundle's events hashed again by the chain rule, as anyone can (the chain is
    public arithmetic): a change to a row leaves no broken link."""
    last_id, last_hash = None, None
    rows = c.execute("select id, 'demand', subject_id, action, on_date, actor, os_user, reason, "
                     "data, recorded_at, command, origin, origin_id, prev from events "
                     "order by id").fetchall()
    for r in rows:
        prev = r[13] if r[13] is not None else (last_hash if last_id == r[0] - 1 else GENESIS)
        new = chain_hash(prev, r[:13] if r[11] else r[:11])
        c.execute("update events set hash = ? where id = ?", [new, r[0]])
        last_id, last_hash = r[0], new
    c.execute("update info set value = ? where key = 'head_hash'", [last_hash])


def refused(cli: Cli, county: Path, *args: str, code: int = 1) -> str:
    """Run a command against the county that must be refused: its exit code, its one line,
    the county's file byte for byte as it was, and its check passing."""
    before = digest(county)
    r = cli(*args, "--db", str(county), today="2026-11-11")
    assert r.exit_code == code, r.output
    assert "Traceback" not in r.output and "内部错误" not in r.output
    lines = [line for line in r.output.splitlines() if line.strip()]
    assert len(lines) == 1, r.output
    assert digest(county) == before
    check_passes(county)
    assert cli("check", "--db", str(county)).exit_code == 0
    return lines[0]


def test_the_first_bundle_pins_the_senders_key_and_prints_its_fingerprint(tmp_path: Path,
                                                                          monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    county, town = tmp_path / "县汇总.db", tmp_path / "青石镇.db"
    make_county(county)
    make_township(town, "青石镇")
    cli = Cli(county)
    assert cli("sync", "export", "--db", str(town), "-o", "w1.bundle").exit_code == 0
    theirs = fingerprint_of(cli, town)
    assert re.fullmatch(r"(?:[0-9a-f]{4} ){7}[0-9a-f]{4}", theirs)
    r = cli("sync", "import", "w1.bundle", "--db", str(county))
    assert r.exit_code == 0, r.output
    assert theirs in r.output and "打电话" in r.output and "sync status" in r.output
    # the county shows it beside 青石镇, and its own; the two differ
    r = cli("sync", "status", "--db", str(county))
    assert theirs in r.output and fingerprint_of(cli, county) != theirs
    r = cli("sync", "status", "--format", "json", "--db", str(county))
    assert f'"fingerprint": "{theirs}"' in r.output
    # the next bundle, signed by the same key, goes in without a word about keys
    assert cli("sync", "export", "--db", str(town), "-o", "w2.bundle").exit_code == 0
    r = cli("sync", "import", "w2.bundle", "--db", str(county))
    assert r.exit_code == 0 and theirs not in r.output, r.output
    check_passes(county)


def test_a_bundle_re_signed_with_another_key_is_refused(county_and_town) -> None:
    county, town, cli = county_and_town
    # A courier changes a case's text, hashes the chain again and signs with a key of its own.
    forged = Path("forged.bundle")
    shutil.copy("w2.bundle", forged)
    with contextlib.closing(sqlite3.connect(forged)) as c:
        c.execute("update events set data = replace(data, '路灯不亮', '请拨打 110') "
                  "where action = 'accept'")
        rechain(c)
        c.commit()
    attacker = os.urandom(32).hex()
    resign(forged, attacker)
    line = refused(cli, county, "sync", "import", str(forged))
    assert "另一把密钥" in line and fingerprint(public_key(attacker)) in line
    assert fingerprint_of(cli, town) in line  # the one pinned, to compare with
    assert "ledger sync trust" in line
    # even unchanged: the genuine content re-signed by another key
    shutil.copy("w2.bundle", forged)
    resign(forged, attacker)
    refused(cli, county, "sync", "import", str(forged))
    # and with the genuine bundle in the same command: neither is taken
    refused(cli, county, "sync", "import", "w2.bundle", str(forged))
    r = cli("sync", "import", "w2.bundle", "--db", str(county), today="2026-11-11")
    assert r.exit_code == 0, r.output


def test_a_history_re_chained_under_a_new_identity_with_a_known_name_is_refused(
        county_and_town, tmp_path: Path) -> None:
    county, town, cli = county_and_town
    # 青石镇's whole history, passed off as a new ledger of the same name, correctly chained
    # and signed by the new identity's own key.
    impostor = Path("impostor.bundle")
    assert cli("sync", "export", "--db", str(town), "-o", str(impostor)).exit_code == 0
    with contextlib.closing(sqlite3.connect(impostor)) as c:
        c.execute("update info set value = ? where key = 'from_id'", [uuid.uuid4().hex])
        c.execute("update events set data = replace(data, '屋顶漏水', '屋顶没漏')")
        rechain(c)
        c.commit()
    new_key = os.urandom(32).hex()
    resign(impostor, new_key)
    line = refused(cli, county, "sync", "import", str(impostor))
    assert "新台账" in line and "青石镇" in line and fingerprint(public_key(new_key)) in line
    assert "ledger sync trust" in line
    # a new ledger made from scratch under the name is refused the same way
    other = tmp_path / "冒名.db"
    make_township(other, "青石镇")
    assert cli("sync", "export", "--db", str(other), "-o", "other.bundle").exit_code == 0
    refused(cli, county, "sync", "import", "other.bundle")
    # and so is one that calls itself by the county's own name
    third = tmp_path / "third.db"
    with at(third, "2026-11-03") as L:
        L.sync.set_name("县社工部")
    assert cli("sync", "export", "--db", str(third), "-o", "third.bundle").exit_code == 0
    refused(cli, county, "sync", "import", "third.bundle")


def test_a_known_ledger_renamed_to_anothers_name_is_refused(county_and_town,
                                                             tmp_path: Path) -> None:
    county, town, cli = county_and_town
    other = tmp_path / "白关镇.db"
    make_township(other, "白关镇")
    assert cli("sync", "export", "--db", str(other), "-o", "b1.bundle").exit_code == 0
    assert cli("sync", "import", "b1.bundle", "--db", str(county)).exit_code == 0
    # 白关镇, known and pinned, calls itself 青石镇 from now on: its own key, its own chain
    r = cli("sync", "name", "青石镇", "--db", str(other))
    assert r.exit_code == 0, r.output
    assert cli("sync", "export", "--db", str(other), "-o", "b2.bundle").exit_code == 0
    line = refused(cli, county, "sync", "import", "b2.bundle")
    assert "白关镇" in line and "青石镇" in line and "sync name" in line
    # a name of its own is its own business
    assert cli("sync", "name", "白关镇街道", "--db", str(other)).exit_code == 0
    assert cli("sync", "export", "--db", str(other), "-o", "b3.bundle").exit_code == 0
    r = cli("sync", "import", "b3.bundle", "--db", str(county))
    assert r.exit_code == 0, r.output
    check_passes(county)


def test_content_changed_after_signing_is_refused(county_and_town) -> None:
    county, town, cli = county_and_town
    # What the hash chain does not cover (a resident's page) changed in transit ...
    changed = Path("changed.bundle")
    shutil.copy("w2.bundle", changed)
    with contextlib.closing(sqlite3.connect(changed)) as c:
        assert c.execute("update residents set phone = '13900000000'").rowcount
        c.commit()
    line = refused(cli, county, "sync", "import", str(changed))
    assert "签名与内容不符" in line and "重新导出" in line
    # ... a case's text changed and the chain hashed again ...
    shutil.copy("w2.bundle", changed)
    with contextlib.closing(sqlite3.connect(changed)) as c:
        c.execute("update events set data = replace(data, '路灯不亮', '路灯很亮')")
        rechain(c)
        c.commit()
    assert "签名与内容不符" in refused(cli, county, "sync", "import", str(changed))
    # ... the rows put in another order, a row added to a table nothing reads, the value's
    # type changed (text for a number) ...
    for sql in ("update info set value = value where key = 'from_name'",  # (no change: fine)
                "insert into acks values ('x', 'x', 1)",
                "update townships set id = 99",
                "update units set id = id + 100",
                "update residents set home_id = cast(home_id as integer)",
                "update info set value = 'x' || value where key = 'made_at'"):
        shutil.copy("w2.bundle", changed)
        with contextlib.closing(sqlite3.connect(changed)) as c:
            c.execute(sql)
            c.commit()
            same = content_digest(c) == content_digest(sqlite3.connect("w2.bundle"))
        if not same:
            refused(cli, county, "sync", "import", str(changed))
    # ... or a blob where a bundle holds text
    shutil.copy("w2.bundle", changed)
    with contextlib.closing(sqlite3.connect(changed)) as c:
        c.execute("update residents set note = x'00ff'")
        c.commit()
    refused(cli, county, "sync", "import", str(changed))
    r = cli("sync", "import", "w2.bundle", "--db", str(county), today="2026-11-11")
    assert r.exit_code == 0, r.output


def test_a_stripped_signature_and_an_unsigned_bundle_are_refused(county_and_town) -> None:
    county, town, cli = county_and_town
    for strip in ("delete from info where key = 'signature'",
                  "delete from info where key in ('signature', 'signed_by')",  # as before keys
                  "update info set value = '' where key = 'signature'"):
        stripped = Path("stripped.bundle")
        shutil.copy("w2.bundle", stripped)
        with contextlib.closing(sqlite3.connect(stripped)) as c:
            c.execute(strip)
            c.commit()
        line = refused(cli, county, "sync", "import", str(stripped))
        assert "没有签名" in line and "升级" in line and "重新导出" in line
    # a signature given twice: which would be meant? not a bundle
    twice = Path("twice.bundle")
    shutil.copy("w2.bundle", twice)
    with contextlib.closing(sqlite3.connect(twice)) as c:
        c.execute("insert into info select key, value from info where key = 'signature'")
        c.commit()
    assert "不是同步包" in refused(cli, county, "sync", "import", str(twice))
    # a signature of other content (another bundle's), moved over
    moved = Path("moved.bundle")
    shutil.copy("w2.bundle", moved)
    with contextlib.closing(sqlite3.connect(moved)) as c, \
            contextlib.closing(sqlite3.connect("w1.bundle")) as w1:
        old = w1.execute("select value from info where key = 'signature'").fetchone()[0]
        c.execute("update info set value = ? where key = 'signature'", [old])
        c.commit()
    assert "签名与内容不符" in refused(cli, county, "sync", "import", str(moved))


def test_a_new_key_is_accepted_by_sync_trust_once_checked(county_and_town) -> None:
    county, town, cli = county_and_town
    old = fingerprint_of(cli, town)
    # 青石镇's file was copied: it makes a new key, tells the county by phone, sends again
    r = cli("sync", "new-key", "--db", str(town), today="2026-11-10")
    assert r.exit_code == 0 and old in r.output, r.output
    new = fingerprint_of(cli, town)
    assert new != old and new in r.output
    r = cli("sync", "export", "--db", str(town), "-o", "w2b.bundle", today="2026-11-10")
    assert r.exit_code == 0, r.output
    line = refused(cli, county, "sync", "import", "w2b.bundle")
    assert new in line and old in line
    # a fingerprint misheard: nothing trusted; one that is not a fingerprint at all: exit 2
    wrong = new[:-1] + ("0" if new[-1] != "0" else "1")
    line = refused(cli, county, "sync", "trust", "w2b.bundle", "--fingerprint", wrong)
    assert "不是核对的" in line and new in line
    refused(cli, county, "sync", "trust", "w2b.bundle", "--fingerprint", "1234", code=2)
    # the key of a bundle that is not signed by it cannot be trusted
    forged = Path("forged.bundle")
    shutil.copy("w2b.bundle", forged)
    with contextlib.closing(sqlite3.connect(forged)) as c:
        c.execute("update residents set phone = '13900000000'")
        c.commit()
    refused(cli, county, "sync", "trust", str(forged), "--fingerprint", new)
    # read over the phone, typed in capitals and without spaces: trusted, and journaled
    r = cli("sync", "trust", "w2b.bundle", "--fingerprint", new.replace(" ", "").upper(),
            "--db", str(county), today="2026-11-11")
    assert r.exit_code == 0 and new in r.output and old in r.output, r.output
    with at(county, "2026-11-11") as L:
        row = L.db.execute("select data from journal where subject = 'sync' and action = "
                           "'trust'").fetchone()
        assert row and new in row[0] and old in row[0]
        row = L.db.execute("select data from journal where subject = 'sync' and action = "
                           "'import'").fetchone()
        assert row and old in row[0]  # the first import recorded the key it pinned
    with at(town, "2026-11-11") as L:
        assert L.db.execute("select 1 from journal where subject = 'sync' and action = "
                            "'new_key'").fetchone()
    r = cli("sync", "import", "w2b.bundle", "--db", str(county), today="2026-11-11")
    assert r.exit_code == 0 and "新诉求 1 件" in r.output, r.output
    # the old key is now the one refused
    line = refused(cli, county, "sync", "import", "w2.bundle")
    assert "另一把密钥" in line
    check_passes(county)


def test_a_new_ledger_of_a_known_name_is_accepted_by_sync_trust(county_and_town,
                                                                 tmp_path: Path) -> None:
    county, town, cli = county_and_town
    # 青石镇 lost its computer and started a new ledger
    again = tmp_path / "青石镇-新.db"
    make_township(again, "青石镇")
    assert cli("sync", "export", "--db", str(again), "-o", "new.bundle").exit_code == 0
    refused(cli, county, "sync", "import", "new.bundle")
    fp = fingerprint_of(cli, again)
    r = cli("sync", "trust", "new.bundle", "--fingerprint", fp, "--db", str(county))
    assert r.exit_code == 0 and fp in r.output, r.output
    r = cli("sync", "import", "new.bundle", "--db", str(county))
    assert r.exit_code == 0 and fp not in r.output, r.output  # pinned already: no first-use note
    check_passes(county)
    # trusting it again changes nothing
    before = digest(county)
    r = cli("sync", "trust", "new.bundle", "--fingerprint", fp, "--db", str(county))
    assert r.exit_code == 0 and digest(county) == before


def test_the_signed_bytes_and_the_fingerprint_are_as_documented(tmp_path: Path) -> None:
    import json

    seed = os.urandom(32).hex()
    pub = public_key(seed)
    assert len(bytes.fromhex(pub)) == 32
    assert fingerprint(pub) == " ".join(
        hashlib.sha256(bytes.fromhex(pub)).hexdigest()[i:i + 4] for i in range(0, 32, 4))
    assert normalise(fingerprint(pub).replace(" ", "-").upper()) == fingerprint(pub)
    assert normalise("not one") is None
    town = tmp_path / "t.db"
    make_township(town, "青石镇")
    with at(town, "2026-11-03") as L:
        L.sync.export(tmp_path / "b.bundle")
    from ledger.io.bundle import TABLES

    with contextlib.closing(sqlite3.connect(tmp_path / "b.bundle")) as c:
        h = hashlib.sha256()
        for table, columns in TABLES.items():
            for row in c.execute(f"select {', '.join(columns)} from {table} order by rowid"):
                if table == "info" and row[0] == "signature":
                    continue
                h.update(json.dumps([table, *row], ensure_ascii=False,
                                    separators=(",", ":")).encode() + b"\n")
        info = dict(c.execute("select key, value from info"))
    assert h.digest() == content_digest(sqlite3.connect(tmp_path / "b.bundle"))
    assert verify(info["signed_by"], info["signature"], h.digest())
    assert info["signed_by"] == public_key(seed_of(town))
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    Ed25519PublicKey.from_public_bytes(bytes.fromhex(info["signed_by"])).verify(
        bytes.fromhex(info["signature"]), b"ledger-bundle-signature-1\n" + h.digest())
