"""Opening the results store: a file that is not a database, a place that cannot be written and a
missing store for a reader are one-line errors that lose nothing; the switch to WAL mode is retried
while another process holds the file."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from latentbench import store as store_mod
from latentbench.cli import main
from latentbench.exceptions import InputValidationError
from latentbench.report.data import load_report_data
from latentbench.store import ResultStore

RUN = ["run", "ref:pca", "--tasks", "reconstruction/digits", "--no-baselines", "--quiet"]


def test_a_file_that_is_not_a_database_is_named_and_kept(tmp_path):
    notdb = tmp_path / "notes.db"
    notdb.write_text("my notes, not a database\n" * 100)
    before = notdb.read_bytes()
    with pytest.raises(InputValidationError, match=r"store '.*notes\.db' is not a latentbench results database \(SQLite: "
                                                   r"file is not a database\); pass another path \(--store\)"):
        ResultStore(notdb)
    assert notdb.read_bytes() == before  # nothing already stored is lost


def test_unwritable_places(tmp_path):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(InputValidationError, match=r"cannot create the folder of store .*afile/r\.db'"):
        ResultStore(tmp_path / "afile" / "r.db")
    with pytest.raises(InputValidationError, match=r"is a folder; pass the path of a database file"):
        ResultStore(tmp_path)


def test_readers_never_create_a_store(tmp_path):
    missing = tmp_path / "missing.db"
    with pytest.raises(InputValidationError, match=r"store '.*missing\.db' does not exist"):
        load_report_data(missing)
    with pytest.raises(InputValidationError, match=r"does not exist"):
        ResultStore(missing, create=False)
    from latentbench import load_results

    with pytest.raises(InputValidationError, match=r"does not exist"):
        load_results(missing)
    assert not missing.exists()


def _cli(argv):
    try:
        return main(argv)
    except SystemExit as exc:  # a flag refused by its argparse type: one line too, status 2
        return exc.code


@pytest.mark.parametrize("argv, message", [
    (["report", "--store", "{tmp}/missing.db", "--out", "{tmp}/rep"], "does not exist"),
    (["report", "--store", "{tmp}/notdb.db", "--out", "{tmp}/rep"], "is not a results database"),
    (["report", "--store", "{tmp}/garbage.json", "--out", "{tmp}/rep"], "is not a readable JSON document"),
    (["report", "--store", "{tmp}/list.json", "--out", "{tmp}/rep"], "results export"),
    (["compare", "ref:pca", "--store", "{tmp}/missing.db"], "does not exist"),
    ([*RUN, "--store", "{tmp}/notdb.db"], "is not a results database"),
    ([*RUN, "--store", "{tmp}/afile/r.db"], "is not a writable folder"),
    ([*RUN, "--store", "{tmp}"], "is a folder"),
])
def test_cli_store_errors_are_one_line(tmp_path, capsys, argv, message):
    (tmp_path / "notdb.db").write_text("not a database" * 100)
    (tmp_path / "garbage.json").write_text("{not json")
    (tmp_path / "list.json").write_text('{"results": [{"task": 1}]}')
    (tmp_path / "afile").write_text("x")
    code = _cli([a.format(tmp=tmp_path) for a in argv])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.splitlines() == [err] and err.startswith("latentbench: error: ") and message in err, err
    assert not (tmp_path / "missing.db").exists() and not (tmp_path / "rep").exists()
    assert (tmp_path / "notdb.db").read_text() == "not a database" * 100


def test_the_wal_switch_is_retried_while_another_connection_holds_the_file(tmp_path):
    path = str(tmp_path / "busy.db")
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    threading.Timer(0.4, lambda: holder.execute("COMMIT")).start()
    conn = sqlite3.connect(path, timeout=0.01)  # shorter than the lock: SQLite's own busy wait gives up
    t0 = time.perf_counter()
    store_mod._enable_wal(conn)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert 0.3 < time.perf_counter() - t0 < 5
    holder.close()
    conn.close()


def test_the_wal_retry_is_bounded(monkeypatch):
    waits = []
    monkeypatch.setattr(store_mod.time, "sleep", waits.append)

    class Busy:
        calls = 0

        def execute(self, sql):
            Busy.calls += 1
            raise sqlite3.OperationalError("database is locked")

    with pytest.raises(sqlite3.OperationalError, match="locked"):
        store_mod._enable_wal(Busy())
    assert Busy.calls == store_mod._WAL_ATTEMPTS and len(waits) == store_mod._WAL_ATTEMPTS - 1
    assert max(waits) <= store_mod._WAL_MAX_WAIT and sum(waits) < 10

    class Other:
        def execute(self, sql):
            raise sqlite3.OperationalError("disk I/O error")

    waits.clear()
    with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
        store_mod._enable_wal(Other())
    assert waits == []  # only a busy file is retried
