"""`omnikpi_attribute(...)`, the attribution aggregate of the DuckDB extension, against the CLI on
the same files: every model, any thread count and row order, GROUP BY, the ways a table holds
outcomes, timestamps and money, and the errors a user meets."""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path
from typing import Any

import duckdb
import pytest

from conftest import CLI, EXTENSION, ROOT, connect

RETAIL = ROOT / "examples" / "retail"
MODELS = ["first_touch", "last_touch", "last_non_direct", "linear", "time_decay", "position_based", "w_shaped",
          "markov", "shapley", "shapley.ordered", "shapley.rate"]
ARGS = "journey_id, timestamp, channel, conversions, value, conversion_timestamp"


def cli(journeys: Path, models: list[str], *extra: str) -> Any:
    out = subprocess.run([str(CLI), "attribute", str(journeys), "--channels", str(RETAIL / "channels.csv"),
                          "--currency", "EUR", "--model", ",".join(models), "--json", *extra],
                         capture_output=True, text=True, check=True, timeout=120).stdout
    return json.loads(out)


def options(con: Any, model: Any, **more: Any) -> str:
    channels = con.execute("SELECT json_group_array(c) FROM read_csv(?) c", [str(RETAIL / "channels.csv")]).fetchone()
    assert channels is not None
    return json.dumps({"model": model, "currency": "EUR", "channels": json.loads(channels[0]), **more})


def attribute(con: Any, table: str, opts: str, args: str = ARGS) -> Any:
    row = con.execute(f"SELECT omnikpi_attribute({args}, ?) FROM {table}", [opts]).fetchone()
    assert row is not None
    return None if row[0] is None else json.loads(row[0])


def load(con: Any, path: Path, name: str = "touches") -> None:
    con.execute(f"CREATE OR REPLACE TABLE {name} AS FROM read_csv(?, types={{'value': 'DECIMAL(18,2)'}})", [str(path)])


def test_every_model_agrees_with_the_cli_whatever_the_threads_and_the_row_order() -> None:
    expected = cli(RETAIL / "journeys.csv", MODELS)
    for threads in (1, 2, 8):
        con = connect(threads)
        load(con, RETAIL / "journeys.csv")
        opts = options(con, MODELS)
        assert attribute(con, "touches", opts) == expected
        assert attribute(con, "(FROM touches ORDER BY hash(journey_id, timestamp) DESC)", opts) == expected


@pytest.mark.parametrize("threads", [1, 3])
def test_over_a_million_rows_are_all_read(threads: int, tmp_path: Path) -> None:
    """1.3M rows: with one thread, one state reads every chunk into its 16 parts; with three, states
    are combined (their parts' readers shared, absorbed at the end) and a journey's rows meet from
    several states. Shuffled, they still give what the CLI gives for the file."""
    con = connect(threads)
    path = tmp_path / "big.parquet"
    con.execute(f"""COPY (SELECT 'j' || (i // 3) AS journey_id,
        TIMESTAMP '2026-01-01' + to_seconds(i * 7) AS timestamp,
        ['web', 'app', 'email', 'store', 'paid_search', 'call_centre'][(hash(i) % 6)::INTEGER + 1] AS channel,
        (i // 3) % 2 AS conversions, (((i // 3) % 2) * ((i // 3) % 50 + 0.25))::DECIMAL(18, 2) AS value
        FROM range(1300000) t(i)) TO '{path}' (FORMAT parquet)""")
    expected = cli(path, ["linear", "markov"])
    got = attribute(con, f"(FROM read_parquet('{path}') ORDER BY hash(journey_id, timestamp))",
                    options(con, ["linear", "markov"]), "journey_id, timestamp, channel, conversions, value")
    assert got == expected


def test_a_window_gives_each_frame_what_an_aggregate_of_its_rows_gives() -> None:
    """Over a window DuckDB combines states into several others and keeps the sources (a segment
    tree): journeys shared between states must stay each state's own."""
    con = connect(4)
    load(con, RETAIL / "journeys.csv")
    con.execute("CREATE TABLE keyed AS SELECT *, hash(journey_id) % 40 AS k FROM touches WHERE k < 5")
    opts = options(con, ["linear", "markov"])
    frames = con.execute(f"SELECT DISTINCT k, omnikpi_attribute({ARGS}, ?) OVER (ORDER BY k) FROM keyed ORDER BY k",
                         [opts]).fetchall()
    assert [k for k, _ in frames] == list(range(5))
    for k, got in frames:
        assert json.loads(got) == attribute(con, f"(FROM keyed WHERE k <= {k})", opts), k


def test_one_model_gives_the_kpis_own_result_and_parameters_reach_it() -> None:
    con = connect(4)
    load(con, RETAIL / "journeys.csv")
    expected = cli(RETAIL / "journeys.csv", ["markov"], "--params", json.dumps({"markov": {"order": 2}}))
    got = attribute(con, "touches", options(con, "markov", params={"order": 2}))
    assert [got] == expected and got["model"] == "markov"


def test_group_by_gives_each_group_what_the_cli_gives_for_its_rows(tmp_path: Path) -> None:
    con = connect(8)
    load(con, RETAIL / "journeys.csv")
    con.execute("CREATE TABLE grouped AS SELECT *, hash(journey_id) % 3 AS part FROM touches")
    got = dict(con.execute(f"SELECT part, omnikpi_attribute({ARGS}, ?) FROM grouped GROUP BY part",
                           [options(con, ["linear", "shapley"])]).fetchall())
    assert len(got) == 3
    for part, result in got.items():
        path = tmp_path / f"part{part}.csv"
        con.execute(f"COPY (SELECT * EXCLUDE (part) FROM grouped WHERE part = {part} ORDER BY journey_id, timestamp)"
                    f" TO '{path}' (HEADER, TIMESTAMPFORMAT '%Y-%m-%dT%H:%M:%SZ')")
        assert json.loads(result) == cli(path, ["linear", "shapley"]), part


def test_outcomes_on_the_last_touch_ms_timestamps_enum_channels_and_declared_float_money() -> None:
    """A GA4-shaped table: outcome only on each journey's last row (NULL elsewhere), epoch
    milliseconds, channels as an ENUM, value as DOUBLE: read as declared, the same numbers."""
    con = connect(4)
    load(con, RETAIL / "journeys.csv")
    expected = attribute(con, "touches", options(con, "linear"))
    con.execute("CREATE TYPE channel_enum AS ENUM (SELECT DISTINCT channel FROM touches ORDER BY channel)")
    con.execute("""CREATE TABLE export AS SELECT journey_id, epoch_ms(timestamp) AS ts_ms,
        channel::channel_enum AS channel,
        CASE WHEN last THEN conversions END AS conversions, CASE WHEN last THEN value::DOUBLE END AS value,
        CASE WHEN last THEN conversion_timestamp END AS conversion_timestamp
        FROM (SELECT *, row_number() OVER (PARTITION BY journey_id ORDER BY timestamp DESC) = 1 AS last FROM touches)""")
    args = "journey_id, ts_ms, channel, conversions, value, conversion_timestamp"
    declared = options(con, "linear", reading={"outcome": "last_touch", "timestamp_unit": "ms",
                                               "money_from_float": "round_half_even"})
    got = attribute(con, "export", declared, args)
    # what the CLI prints on stderr and Python warns of, the result says: the floats with digits
    # past the cent were rounded at the cent, none moved (they were cents to begin with) ...
    values = con.execute("SELECT count(value) FROM export").fetchone()[0]
    counted = got.pop("money_from_float")
    assert 0 < counted["rounded"] <= values and counted["moved"] == 0, counted
    assert got == expected
    # ... and 0.004 more on each is rounded away, moving every amount
    off = con.execute(f"SELECT omnikpi_attribute(journey_id, ts_ms, channel, conversions, value + 0.004, "
                      f"conversion_timestamp, ?) FROM export", [declared]).fetchone()[0]
    assert json.loads(off)["money_from_float"] == {"rounded": values, "moved": values}
    undeclared = options(con, "linear", reading={"outcome": "last_touch", "timestamp_unit": "ms"})
    with pytest.raises(duckdb.Error, match=r"omnikpi: error \[wrong_type\] at table\.value"):
        attribute(con, "export", undeclared, args)
    no_unit = options(con, "linear", reading={"outcome": "last_touch", "money_from_float": "round_half_even"})
    with pytest.raises(duckdb.Error, match=r"omnikpi: error \[wrong_type\] at table\.timestamp"):
        attribute(con, "export", no_unit, args)


def test_without_value_and_on_no_rows() -> None:
    con = connect(4)
    load(con, RETAIL / "journeys.csv")
    got = attribute(con, "touches", options(con, "first_touch"), "journey_id, timestamp, channel, conversions")
    assert got["totals"]["value"] == "0.00" and got["totals"]["conversions"] != "0.000000"
    assert attribute(con, "(FROM touches WHERE false)", options(con, "linear")) is None


@pytest.mark.parametrize("query,code,path", [
    ("SELECT omnikpi_attribute({args}, ?) FROM (SELECT * REPLACE ('tv' AS channel) FROM touches)",
     "unknown_channel", "table[0].channel"),
    ("SELECT omnikpi_attribute({args}, CASE WHEN journey_id < 'J00100' THEN ? ELSE '{{}}' END) FROM touches",
     "invalid_parameter", "options"),
    ("SELECT omnikpi_attribute({args}, CASE WHEN journey_id < 'J00100' THEN ? END) FROM touches",
     "missing_field", "options"),
    ("SELECT omnikpi_attribute(journey_id, timestamp - conversion_timestamp, channel, conversions, ?) FROM touches",
     "wrong_type", "table.timestamp"),
])
def test_errors_carry_the_code_and_the_place(query: str, code: str, path: str) -> None:
    con = connect(4)
    load(con, RETAIL / "journeys.csv")
    with pytest.raises(duckdb.Error) as raised:
        con.execute(query.format(args=ARGS), [options(con, "linear")]).fetchall()
    assert f"omnikpi: error [{code}] at {path}" in str(raised.value)


def test_a_row_error_names_the_journey() -> None:
    con = connect(4)
    load(con, RETAIL / "journeys.csv")
    bad = "CASE WHEN journey_id = 'J00042' THEN 'tv' ELSE channel END"
    with pytest.raises(duckdb.Error, match=r"\[unknown_channel\] at table\[\d+\]\.channel: .*`tv`.*\(journey `J00042`\)"):
        attribute(con, "touches", options(con, "linear"), f"journey_id, timestamp, {bad}, conversions, value")


def test_options_are_checked_like_every_other_front_end_checks_them() -> None:
    con = connect(4)
    load(con, RETAIL / "journeys.csv")
    for bad, code, path in [({"modle": "linear"}, "unknown_parameter", "options.modle"),
                            ({"model": "lineer"}, "unknown_kpi", None),
                            ({"reading": {"columns": {"channel": "c"}}}, "unknown_parameter", "options.reading.columns"),
                            ({"by": ["brand"]}, "unknown_parameter", "options.by"),
                            ({"certify": "yes"}, "wrong_type", "options.certify")]:
        opts = {**json.loads(options(con, "linear")), **bad}
        with pytest.raises(duckdb.Error, match=rf"omnikpi: error \[{code}\]" + (f" at {path}" if path else "")):
            attribute(con, "touches", json.dumps(opts))


@pytest.mark.parametrize("source", ["table", "parquet"])
def test_many_long_and_null_channel_names_read_as_the_cli_reads_them(source: str, tmp_path: Path) -> None:
    """A chunk's channel column goes to the core as a dictionary of its distinct DuckDB strings:
    names longer than the 12 bytes DuckDB keeps inline (pointers, repeated when Parquet's dictionary
    holds them), more distinct strings than a dictionary takes (then plain text), NULL channels."""
    names = [f"c{i}" for i in range(40)] + [f"a_channel_named_at_length_{i:03d}" for i in range(60)]
    (tmp_path / "channels.csv").write_text("channel,group\n" + "".join(f"{n},online\n" for n in names))
    rng = random.Random(7)
    lines = ["journey_id,timestamp,channel,conversions,value"]
    for j in range(3000):
        conversions = rng.choice([0, 1])
        lines += [f"j{j},{1_760_000_000 + 60 * t},{rng.choice(names[:3] + names[-3:] if j % 2 else names)},"
                  f"{conversions},{'12.34' if conversions else '0.00'}" for t in range(rng.randint(1, 5))]
    path = tmp_path / "touches.csv"
    path.write_text("\n".join(lines) + "\n")
    models = ["first_touch", "linear", "markov"]
    out = subprocess.run([str(CLI), "attribute", str(path), "--channels", str(tmp_path / "channels.csv"),
                          "--currency", "EUR", "--model", ",".join(models), "--timestamp-unit", "s", "--json"],
                         capture_output=True, text=True, check=True, timeout=120).stdout
    con = connect(2)
    load(con, path)
    table = "touches"
    if source == "parquet":
        con.execute(f"COPY touches TO '{tmp_path / 'touches.parquet'}' (FORMAT parquet)")
        table = f"read_parquet('{tmp_path / 'touches.parquet'}')"
    opts = json.dumps({"model": models, "currency": "EUR", "reading": {"timestamp_unit": "s"},
                       "channels": [{"channel": n, "group": "online"} for n in names]})
    args = "journey_id, timestamp, channel, conversions, value"
    assert attribute(con, table, opts, args) == json.loads(out)
    null = "journey_id, timestamp, CASE WHEN journey_id = 'j17' THEN NULL ELSE channel END, conversions, value"
    with pytest.raises(duckdb.Error, match=r"\[missing_field\] at table\.channel\[\d+\]: .*\(journey `j17`\)"):
        attribute(con, table, opts, null)


def random_touches(seed: int, path: Path) -> None:
    """Journeys with random channels and timestamps, touches at the same time included (ordered
    by channel name by every reader, whatever the rows' order), outcomes repeated on every row."""
    rng = random.Random(seed)
    channels = [line.split(",")[0] for line in (RETAIL / "channels.csv").read_text().splitlines()[1:]]
    lines = ["journey_id,timestamp,channel,conversions,value"]
    for j in range(rng.randint(1, 400)):
        touches = rng.randint(1, 9)
        conversions = rng.choice([0, 0, 1, 1, 2])
        value = f"{rng.randint(0, 10**7) / 100:.2f}" if conversions else "0.00"
        times = [rng.choice([1_760_000_000, 1_760_000_000 + rng.randint(0, 90 * 86400)]) for _ in range(touches)]
        rows = [f"j{j:04d},{t},{rng.choice(channels)},{conversions},{value}" for t in times]
        rng.shuffle(rows)
        lines += rows
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("seed", range(12))
def test_random_tables_agree_with_the_cli(seed: int, tmp_path: Path) -> None:
    path = tmp_path / "touches.csv"
    random_touches(seed, path)
    models = ["linear", "markov", "shapley", "time_decay"]
    expected = cli(path, models, "--timestamp-unit", "s")
    con = connect(1 + seed % 4)
    load(con, path)
    opts = options(con, models, reading={"timestamp_unit": "s"})
    assert attribute(con, "(FROM touches ORDER BY random())", opts, "journey_id, timestamp, channel, conversions, value") \
        == expected


@pytest.mark.parametrize("seed", [3, 4])
def test_a_certificate_from_sql_is_the_clis_whatever_the_threads_and_is_verified(seed: int, tmp_path: Path) -> None:
    """"certify": true puts each model's certificate on its result: the journeys as read, not
    the rows, are certified, so SQL's parts and threads, the rows' order and the CLI's CSV all
    give the same certificate, and the CLI confirms SQL's from the file."""
    path = tmp_path / "touches.csv"
    random_touches(seed, path)
    models = ["linear", "markov"]
    cli(path, models, "--timestamp-unit", "s", "--certificate", str(tmp_path / "cli.json"))
    expected = json.loads((tmp_path / "cli.json").read_text())
    for threads in (1, 3):
        con = connect(threads)
        load(con, path)
        opts = options(con, models, reading={"timestamp_unit": "s"}, certify=True)
        got = attribute(con, "(FROM touches ORDER BY random())", opts, "journey_id, timestamp, channel, conversions, value")
        assert [r["certificate"] for r in got] == expected
    (tmp_path / "sql.json").write_text(json.dumps([r["certificate"] for r in got]))
    verify = subprocess.run([str(CLI), "verify", str(tmp_path / "sql.json"), "--journeys", str(path),
                             "--channels", str(RETAIL / "channels.csv"), "--currency", "EUR"],
                            capture_output=True, text=True, timeout=120)
    assert verify.returncode == 0 and verify.stdout.count("confirmed:") == 2, verify.stdout + verify.stderr
    lines = path.read_text().splitlines()
    cells = lines[1].split(",")
    cells[2] = "app" if cells[2] == "web" else "web"
    lines[1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")  # one touch on another channel
    verify = subprocess.run([str(CLI), "verify", str(tmp_path / "sql.json"), "--journeys", str(path),
                             "--channels", str(RETAIL / "channels.csv"), "--currency", "EUR"],
                            capture_output=True, text=True, timeout=120)
    assert verify.returncode == 1 and "DIFF input" in verify.stdout, verify.stdout + verify.stderr

def test_the_duckdb_command_line_loads_the_extension() -> None:
    duckdb_cli = ROOT / ".venv" / "bin" / "duckdb"
    sql = (f"LOAD '{EXTENSION}'; SELECT omnikpi_attribute({ARGS}, '{options(connect(4), 'linear')}') "
           f"FROM read_csv('{RETAIL / 'journeys.csv'}', types={{'value': 'DECIMAL(18,2)'}});")
    out = subprocess.run([str(duckdb_cli), "-unsigned", "-json", "-c", sql], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    (row,) = json.loads(out.stdout)
    assert [json.loads(next(iter(row.values())))] == cli(RETAIL / "journeys.csv", ["linear"])
