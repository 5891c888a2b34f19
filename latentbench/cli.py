"""The ``latentbench`` command: ``list``, ``run``, ``train``, ``check``, ``report``.

Every error ends in one line naming the problem and the fix (``--debug`` shows the traceback)
and a non-zero exit code; results already stored stay stored.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    """argparse with the package's one-line errors (and exit status 2)."""

    def error(self, message: str) -> Any:  # type: ignore[override]
        self.exit(2, f"latentbench: error: {message} (see `{self.prog} --help`)\n")


# ---------------------------------------------------------------------- argument types (checked where a value enters)
def _arg_error(what: str, text: str) -> argparse.ArgumentTypeError:
    return argparse.ArgumentTypeError(f"must be {what}, got {text!r}")


def _seed(text: str) -> int:
    """An evaluation or training seed: an integer in [0, 2**32)."""
    from .validation import SEED_LIMIT

    try:
        value = int(text, 10)
    except ValueError:
        value = -1
    if not 0 <= value < SEED_LIMIT:
        raise _arg_error("an integer in [0, 2**32)", text)
    return value


def _count(flag: str, high_name: str) -> Any:
    """An integer in [1, validation.<high_name>] (the bound is read when a value is parsed)."""
    def parse(text: str) -> int:
        from . import validation

        high = getattr(validation, high_name)
        try:
            value = int(text, 10)
        except ValueError:
            value = 0
        if not 1 <= value <= high:
            raise _arg_error(f"an integer in [1, {high}]", text)
        return value

    parse.__name__ = flag
    return parse


def _positive(flag: str, *, zero: bool = False) -> Any:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if not (value >= 0 if zero else value > 0) or value != value or value == float("inf"):
            raise _arg_error(flag, f"must be a finite number {'>= 0' if zero else '> 0'}, got {text!r}")
        return value
    return parse


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (math.isfinite(value) and value > 0):
        raise _arg_error("a finite number of seconds > 0", text)
    return value


def _alpha(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value < 1:  # NaN fails too
        raise _arg_error("a number in (0, 1) (the family-wise error rate of the tie tests)", text)
    return value


def _out_dir(text: str) -> str:
    p = Path(text)
    if p.exists() and not p.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a file; pass a folder (it is created if missing)")
    for parent in p.absolute().parents:  # the nearest existing ancestor must be a folder we can write into
        if parent.exists():
            if not parent.is_dir() or not os.access(parent, os.W_OK):
                raise argparse.ArgumentTypeError(f"{text!r} cannot be created: {str(parent)!r} is not a writable folder")
            break
    return text


_SQLITE_MAGIC = b"SQLite format 3\x00"


def _is_database(p: Path) -> bool:
    with open(p, "rb") as f:
        head = f.read(len(_SQLITE_MAGIC))
    return head in (b"", _SQLITE_MAGIC)  # an empty file becomes a database


def _store_arg(text: str) -> str:
    """``--store`` of a command that writes: an existing results database, or a path where one can be created."""
    p = Path(text)
    if p.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a folder; pass a database file path (e.g. {p / 'results.db'})")
    if p.exists():
        if not _is_database(p):
            raise argparse.ArgumentTypeError(f"{text!r} is not a results database (SQLite); pass another path")
        return text
    for parent in p.absolute().parents:
        if parent.exists():
            if not parent.is_dir() or not os.access(parent, os.W_OK):
                raise argparse.ArgumentTypeError(f"{text!r} cannot be created: {str(parent)!r} is not a writable folder")
            break
    return text


def _stored_results(text: str) -> str:
    """``--store`` of a command that only reads: an existing database or ``.json`` export (never created)."""
    p = Path(text)
    if not p.is_file():
        raise argparse.ArgumentTypeError(f"{text!r} does not exist; pass the database `latentbench run` wrote, "
                                         f"or a .json export of one")
    if not text.endswith(".json") and not _is_database(p):
        raise argparse.ArgumentTypeError(f"{text!r} is not a results database (SQLite) or a .json export")
    return text


#: Old spellings still accepted (each prints a one-line deprecation warning): old -> new.
DEPRECATED_FLAGS = {"--seeds": "--seed", "--bootstrap": "--bootstrap-iters", "--resamples": "--bootstrap-iters"}

VERBOSITY = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _verbosity(text: str) -> str:
    value = text.upper()
    if value not in VERBOSITY:
        raise _arg_error(f"one of {', '.join(VERBOSITY)} (any case)", text)
    return value


def _model_args(text: str) -> dict[str, Any]:
    """``key=value,key=value`` (lm-eval's ``--model_args``): keyword arguments of a model factory."""
    out: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, eq, value = part.partition("=")
        key = key.strip()
        if not eq or not key.isidentifier():
            raise _arg_error("key=value pairs separated by commas, keys Python identifiers (e.g. width=64,beta=4.0)", text)
        out[key] = _literal(value.strip())
    if not out:
        raise _arg_error("at least one key=value pair", text)
    return out


def _literal(text: str) -> Any:
    """A ``--model-args`` value: an int, a float, true/false, none, or the string itself."""
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("none", "null"):
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quiet", action="store_true", help="no progress bars or messages (same as --verbosity WARNING)")
    p.add_argument("--verbosity", type=_verbosity, default=None, metavar="LEVEL",
                   help="DEBUG (messages and the traceback of an error), INFO (default: messages and progress), "
                        "WARNING, ERROR or CRITICAL (no progress or messages)")
    p.add_argument("--debug", action="store_true", help="show the traceback of an error (same as --verbosity DEBUG)")
    p.add_argument("--specs", action="append", default=[], metavar="DIR", help="extra folder of task/reference-model specs")


def _add_output(p: argparse.ArgumentParser, what: str, *, required: bool = False) -> None:
    p.add_argument("-o", "--output", "--out", dest="out", type=_out_dir, required=required, metavar="DIR", help=what)


def _add_iters(p: argparse.ArgumentParser, what: str, high_name: str, default: int, old: str) -> None:
    high = 10_000 if high_name == "MAX_BOOTSTRAP" else 100_000
    p.add_argument("--bootstrap-iters", old, dest="bootstrap_iters", type=_count("--bootstrap-iters", high_name),
                   default=default, metavar="N", help=f"{what}, 1 to {high:,} (default {default}; {old} is a deprecated spelling)")


def _add_executor(parser: argparse.ArgumentParser) -> None:
    """``--executor``, ``--address``, ``--cpus-per-unit`` and ``--gpus-per-unit`` (run and audit)."""
    parser.add_argument("--executor", choices=["local", "ray"], default="local",
                     help="where the jobs run: local (this process, one model after another; the default) or ray (one Ray task "
                          "per model and dataset, on a local Ray or the cluster at --address; needs the distributed extra). The store "
                          "is written by this process only, each job as it finishes, and the numbers are the same")
    parser.add_argument("--address", default=None, metavar="ADDR",
                     help="with --executor ray: a running Ray cluster (auto, host:port or ray://host:port); default: start a local Ray")
    parser.add_argument("--cpus-per-unit", type=_positive("--cpus-per-unit"), default=1.0, metavar="N",
                     help="with --executor ray: CPUs requested per (model, dataset) unit (default 1)")
    parser.add_argument("--gpus-per-unit", type=_positive("--gpus-per-unit", zero=True), default=None, metavar="F",
                     help="with --executor ray: GPUs requested per unit (default 1 with --device cuda, else 0; fractions share a GPU)")


def _parser() -> argparse.ArgumentParser:
    from . import __version__

    p = _Parser(prog="latentbench", description="Benchmark and audit latent spaces.",
                epilog="Exit status: 0 success; 1 a job failed (unless --allow-failures) or an internal error; "
                       "2 a usage error (bad flag, unknown task or model, unreadable file); 3 nothing was measured "
                       "(every job skipped, `check` ran no task, or `report` found no results); 130 interrupted.")
    p.add_argument("--version", action="version", version=f"latentbench {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    ls = sub.add_parser("list", help="list tasks, suites, datasets or reference models")
    ls.add_argument("what", choices=["tasks", "suites", "datasets", "models"], help="what to list")
    ls.add_argument("--markdown", action="store_true",
                    help="Markdown: the task documentation for tasks (docs/tasks.md), a Markdown table otherwise")
    _add_common(ls)

    run = sub.add_parser("run", help="evaluate models on a suite or tasks and print a leaderboard")
    run.add_argument("models", nargs="+", metavar="MODEL",
                     help="ref:NAME[@SEED[,SEED...]] (training seeds), ref:all[@SEEDS], null:random|identity|pca-whiten, latents.npz, or package.module:factory")
    run.add_argument("--suite", help="a suite name (see `latentbench list suites`)")
    run.add_argument("--tasks", help="comma-separated task names")
    run.add_argument("--dataset", help="run every task on this dataset (a name or an .npz file)")
    run.add_argument("--seed", "--seeds", dest="seeds", type=_seed, nargs="+", default=[0], metavar="SEED",
                     help="evaluation seeds in [0, 2**32) (the tasks' randomness); training seeds go in the model name: ref:NAME@0,1,2 "
                          "(--seeds is a deprecated spelling)")
    run.add_argument("--model-args", type=_model_args, metavar="K=V,...",
                     help="keyword arguments of a package.module:factory model (int, float, true/false, none or text), "
                          "e.g. width=64,beta=4.0; the model is then named factory(width=64,beta=4.0)")
    run.add_argument("--device", default="auto", help="auto, cpu or cuda")
    run.add_argument("--batch-size", type=_count("--batch-size", "MAX_BATCH_SIZE"), metavar="N",
                     help="rows per call of the model (default: the adapter's, 512); does not change the results' key")
    run.add_argument("--limit", type=_count("--limit", "MAX_LIMIT"), metavar="N",
                     help="evaluate on the first N rows of each split only (a quick look, as lm-eval's --limit): the tasks are "
                          "named TASK[limit=N], so these results are never mixed with full runs")
    run.add_argument("--store", type=_store_arg, help="results database (default ~/.cache/latentbench/results.db)")
    _add_output(run, "folder for leaderboard.md/.json/.csv and results.json")
    run.add_argument("--force", action="store_true", help="recompute results the store already has")
    run.add_argument("--no-baselines", action="store_true", help="leave out the null baselines")
    _add_iters(run, "bootstrap resamples for intervals", "MAX_BOOTSTRAP", 1000, "--bootstrap")
    run.add_argument("--time-limit", type=_seconds, help="seconds a task may run (a finite number > 0)")
    run.add_argument("--dry-run", action="store_true",
                     help="print the jobs (model x task x seed), which the store already has, which will be skipped and why, "
                          "and an estimate of the time; run nothing, train nothing, write nothing")
    _add_executor(run)
    run.add_argument("--allow-failures", action="store_true",
                     help="exit 0 even when a job failed (the failures stay in the store and the table)")
    _add_common(run)

    tr = sub.add_parser("train", help="train (or load from the cache) reference models")
    tr.add_argument("refs", nargs="+", metavar="REF", help="reference model names, or all / all-full / all-text / all-transfer")
    tr.add_argument("--seed", "--seeds", dest="seeds", type=_seed, nargs="+", metavar="SEED",
                    help="training seeds in [0, 2**32), one checkpoint each (default: the spec's seed; --seeds is a deprecated spelling)")
    tr.add_argument("--device", default="auto", help="auto, cpu or cuda")
    tr.add_argument("--force", action="store_true", help="retrain even if a checkpoint is cached")
    tr.add_argument("--executor", choices=["local", "ray"], default="local",
                    help="local (one after another, the default) or ray: each model and seed a Ray task; checkpoints "
                         "come back to this machine's cache with their fingerprints (needs the ray extra)")
    tr.add_argument("--address", default=None, metavar="ADDR", help="with --executor ray: a running Ray cluster (default: a local Ray)")
    tr.add_argument("--cpus-per-unit", type=_positive("--cpus-per-unit"), default=1.0, metavar="N",
                    help="with --executor ray: CPUs per training (default 1)")
    tr.add_argument("--gpus-per-unit", type=_positive("--gpus-per-unit", zero=True), default=None, metavar="F",
                    help="with --executor ray: GPUs per training (default 1 with --device cuda, else 0)")
    _add_common(tr)

    ck = sub.add_parser("check", help="check that a model's adapter is sound before a long run")
    ck.add_argument("model", help="a model string, as for `run`")
    ck.add_argument("--dataset", default=None, help="dataset whose rows are fed to the model (default: digits; wordsim353 for a text model; an image reference model's own draw)")
    ck.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    ck.add_argument("--no-smoke", action="store_true", help="skip the smoke run of the tasks")
    _add_common(ck)

    rp = sub.add_parser("report", help="write the leaderboard (Markdown, HTML, LaTeX, CSV, JSON, plots) from the store (never recomputes)")
    rp.add_argument("--store", type=_stored_results,
                    help="results database, or a .json export of one (default ~/.cache/latentbench/results.db)")
    rp.add_argument("--models", nargs="+", metavar="MODEL", help="only these models (names as stored)")
    rp.add_argument("--suite", help="only the tasks of this suite")
    _add_output(rp, "folder for the report's files (created if missing)", required=True)
    rp.add_argument("--title", default=None, help="title of the leaderboard")
    rp.add_argument("--note", action="append", default=[], help="a line for the header (repeatable)")
    rp.add_argument("--alpha", type=_alpha, default=0.05, help="family-wise error rate of the tie tests in a row (Holm), in (0, 1)")
    _add_iters(rp, "paired-bootstrap resamples of the tie tests", "MAX_RESAMPLES", 2000, "--resamples")
    rp.add_argument("--no-plots", action="store_true", help="skip the matplotlib plots (skipped anyway, with a note, without matplotlib)")
    rp.add_argument("--all-training-seeds", action="store_true",
                    help="a column for every training seed of a reference model (default: its lowest seed, the others in the bands section)")
    rp.add_argument("--export", metavar="FILE.json", help="also write the rows, runs, models and artifacts used as a JSON export")
    rp.add_argument("--benchmark", action="append", default=[], metavar="NAME=DATASET[,DATASET...]", type=_benchmark_group,
                    help="declare a benchmark that groups several datasets into one table (repeatable); by default the "
                         f"datasets of the suites {', '.join(GROUPED_SUITES)} are one benchmark each, and every other dataset is its own")
    _add_common(rp)

    cp = sub.add_parser("compare", help="place one model among the reference models, with paired tests (never recomputes)")
    cp.add_argument("model", help="the model name as stored (e.g. mypackage.models:make_model, latents.npz, ref:vae@1)")
    cp.add_argument("--against", nargs="+", default=["ref:all"], help="ref:all (default) or reference names")
    cp.add_argument("--store", type=_stored_results, help="results database, or a .json export of one")
    cp.add_argument("--references", metavar="PATH", default=None,
                    help="reference results to compare against, added to --store's: a .json export or a database "
                         "(default: the CPU quick reference results shipped in the package; 'none' for --store's alone)")
    cp.add_argument("--suite", help="only the tasks of this suite")
    cp.add_argument("--alpha", type=_alpha, default=0.05,
                    help="family-wise error rate of the paired tests (Holm), in (0, 1)")
    _add_iters(cp, "paired-bootstrap resamples of the tests", "MAX_RESAMPLES", 2000, "--resamples")
    _add_output(cp, "folder for compare.md and compare.json")
    _add_common(cp)

    ck2 = sub.add_parser("cka", help="CKA (linear, debiased linear, RBF) between every pair of models on the same rows; stored per pair")
    ck2.add_argument("models", nargs="+", metavar="MODEL",
                     help="two or more models: ref:NAME[@SEED[,SEED...]], ref:all, null:..., latents.npz, vectors.txt or package.module:factory")
    ck2.add_argument("--dataset", required=True, help="the dataset whose rows both models encode (a name, name[k=v,...] or an .npz file)")
    ck2.add_argument("--split", default="test", help="the split compared (default: test, the held-out rows)")
    ck2.add_argument("--kernels", default="linear,linear-debiased,rbf",
                     help="comma-separated: linear, linear-debiased, rbf, rbf-debiased")
    ck2.add_argument("--max-rows", type=int, default=1000, help="at most this many shared rows (seeded subsample), 8 to 20,000")
    ck2.add_argument("--seed", type=_seed, default=0, help="picks the subsample and the resamples, in [0, 2**32)")
    ck2.add_argument("--rounds", type=_count("--rounds", "MAX_BOOTSTRAP"), default=50,
                     help="half-size subsamples of the rows behind each interval (without replacement), 2 to 10,000")
    ck2.add_argument("--device", default="auto", help="auto, cpu or cuda")
    ck2.add_argument("--store", type=_store_arg, help="results database (default ~/.cache/latentbench/results.db)")
    ck2.add_argument("--force", action="store_true", help="recompute pairs the store already has")
    _add_common(ck2)

    au = sub.add_parser("audit", help="audit a model for bias amplification, leakage and privacy risk; write an audit report")
    au.add_argument("model", metavar="MODEL", help="ref:NAME, null:random|identity|pca-whiten, latents.npz, or package.module:factory")
    au.add_argument("--dataset", help="an audit dataset (sensitive attribute, auxiliary/member splits); default: the audit suite's digits-fair")
    au.add_argument("--auxiliary", metavar="AUX.npz", help="with precomputed latents: the attacker's (x, z) pairs (arrays x, z, optional sensitive)")
    _add_output(au, "folder for audit.md, audit.html and results.json")
    au.add_argument("--device", default="auto", help="auto, cpu or cuda")
    au.add_argument("--store", type=_store_arg, help="results database (default ~/.cache/latentbench/results.db)")
    au.add_argument("--force", action="store_true", help="recompute results the store already has")
    _add_iters(au, "bootstrap resamples for intervals", "MAX_BOOTSTRAP", 1000, "--bootstrap")
    au.add_argument("--seed", type=_seed, default=0, help="evaluation seed in [0, 2**32)")
    _add_executor(au)
    au.add_argument("--allow-failures", action="store_true",
                    help="exit 0 even when an audit task failed (the failures stay in the store and the report)")
    _add_common(au)
    return p


# ---------------------------------------------------------------------- commands
def _cmd_list(args: argparse.Namespace) -> int:
    from .tasks.registry import get_task, list_suites, list_tasks

    md = args.markdown
    if args.what == "tasks":
        tasks = [get_task(n) for n in list_tasks()]
        if md:
            print(_tasks_markdown(tasks))
            return 0
        rows = [(t.name, t.family, f"{t.primary} {'↑' if t.primary_spec.direction == 'higher' else '↓' if t.primary_spec.direction == 'lower' else '(descriptive)'}",
                 ",".join(sorted(str(c) for c in t.needs)), t.dataset, t.description) for t in tasks]
        _table(["task", "family", "primary", "needs", "dataset", "summary"], rows)
    elif args.what == "suites":
        suites = list_suites()
        if md:
            _table(["suite", "tasks", "description", "members"],
                   [(s.name, str(len(s.tasks)), s.description, ", ".join(f"`{t}`" for t in s.tasks)) for s in suites], markdown=True)
            return 0
        _table(["suite", "tasks", "description"], [(s.name, str(len(s.tasks)), s.description) for s in suites])
        for s in suites:
            print(f"\n{s.name}: {', '.join(s.tasks)}")
    elif args.what == "datasets":
        from .data import DATASETS

        rows = []
        for name in DATASETS.names():
            fn = DATASETS.get(name)
            rows.append((name, _first_sentence(fn.__doc__ or "")))
        _table(["dataset", "summary"], rows, markdown=md)
    else:
        from .models.zoo import cached_metadata, list_reference_models

        rows = []
        for s in list_reference_models():
            metas = cached_metadata(s)
            trained = ", ".join(f"seed {m['seed']}: {m['train_seconds']:.0f}s on {m['device']} ({m['fingerprint'][:8]})" for m in metas) or "not trained"
            latent = s.model.get("latent_dim", "")
            rows.append((f"ref:{s.name}", s.tier, s.architecture, s.dataset, str(latent), trained, s.description))
        rows += [(n, "baseline", "-", "any", "-", "-", _first_sentence(c.__doc__ or "")) for n, c in _baselines().items()]
        _table(["model", "tier", "architecture", "dataset", "latent", "trained", "description"], rows, markdown=md)
    return 0


def _plain(text: str) -> str:
    """reST markup of a docstring as plain text: ``code`` -> code, :func:`~a.b` -> b, *x* -> x."""
    import re

    text = re.sub(r":[a-z]+:`~?([^`<]*?)(?:\s*<[^>]*>)?`", lambda m: m.group(1).rsplit(".", 1)[-1] if "~" in m.group(0) else m.group(1), text)
    text = re.sub(r"``([^`]*)``", r"\1", text)
    text = re.sub(r"(?<![\w*])\*([^*\s][^*]*)\*(?![\w*])", r"\1", text)
    return " ".join(text.split())


def _first_sentence(doc: str) -> str:
    """The first paragraph of a docstring, as plain text."""
    return _plain(doc.strip().split("\n\n", 1)[0])


def _shorten(text: str, width: int) -> str:
    """``text`` cut at a word boundary to at most ``width`` characters, with an ellipsis when cut."""
    import textwrap

    return textwrap.shorten(text, width=width, placeholder=" …") if len(text) > width else text


def _baselines() -> dict[str, Any]:
    from .models.baselines import BASELINES

    return BASELINES


def _tasks_markdown(tasks: list[Any]) -> str:
    out = ["# latentbench tasks", "", "Generated by `latentbench list tasks --markdown` from the task metadata.", ""]
    for t in tasks:
        out += [f"## {t.name} (v{t.version})", "", t.description, "",
                f"- family: {t.family}; class: `{type(t).__name__}` (v{t.class_version}); dataset: `{t.dataset}`",
                f"- needs: {', '.join(sorted(map(str, t.needs)))}; dataset fields: {', '.join(sorted(t.requires)) or 'none'}",
                f"- standardization of latents: {t.standardization}; parameters: {json.dumps(t.params)}"]
        limits = [f"{k} in {t.param_ranges[k]}" if k in t.param_ranges else f"{k} one of {list(t.param_choices[k])}"
                  for k in t.params if k in t.param_ranges or k in t.param_choices]
        if limits:
            out.append(f"- allowed parameter values (checked when the spec is loaded): {'; '.join(limits)}")
        out += [f"- reference: {t.reference or '-'}"]
        if getattr(t, "model_selection", ""):
            out.append(f"- model selection: {t.model_selection}")
        if t.descriptive:
            out.append(f"- descriptive on this task (shown, never ranked): {', '.join(sorted(t.descriptive))}")
        out += ["", "| score | direction | unit | description |", "|---|---|---|---|"]
        out += [f"| {s.name}{' (primary)' if s.name == t.primary else ''} | {s.direction} | {s.unit} | {s.description.replace('|', chr(92) + '|')} |"
                for s in t.scores]
        out.append("")
    return "\n".join(out)


def _table(header: list[str], rows: list[tuple[str, ...]], *, markdown: bool = False) -> None:
    """Print an aligned text table (the last column shortened at a word boundary) or a Markdown table."""
    if markdown:
        cell = lambda c: _plain(str(c)).replace("|", "\\|")  # noqa: E731
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for r in rows:
            print("| " + " | ".join(cell(c) for c in r) + " |")
        return
    rows = [(*r[:-1], _shorten(_plain(str(r[-1])), 80)) for r in rows]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    fmt_row = lambda r: "  ".join(str(c).ljust(widths[i]) for i, c in enumerate(r)).rstrip()  # noqa: E731
    print(fmt_row(header))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(fmt_row(r))


#: Exit statuses of the command (also in ``latentbench --help``).
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_NOTHING_MEASURED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def _model_label(name: str, model_args: dict[str, Any] | None) -> str:
    """The stored name of a factory model called with ``--model-args``: ``pkg.mod:factory(k=v,...)``."""
    if not model_args:
        return name
    return f"{name}({','.join(f'{k}={v}' for k, v in model_args.items())})"


def _check_model_args(model_args: dict[str, Any] | None, names: list[str]) -> None:
    """``--model-args`` needs at least one ``package.module:factory`` model to go to."""
    from .exceptions import SpecError

    if model_args and all(n.startswith(("ref:", "null:")) or ":" not in n for n in names):
        raise SpecError(f"--model-args ({', '.join(model_args)}) apply to a package.module:factory model only; "
                        f"none of {', '.join(names)} is one")


def _cmd_run(args: argparse.Namespace) -> int:
    from .adapters import resolve_device
    from .models.loader import expand_model_names, load_model
    from .progress import log
    from .report.leaderboard import Leaderboard
    from .runner import Evaluator
    from .store import ResultStore
    from .tasks.registry import resolve_tasks

    tasks = resolve_tasks(args.tasks.split(",") if args.tasks else None, suite=args.suite)
    device = resolve_device(args.device)
    names = expand_model_names(args.models)
    _check_model_args(args.model_args, names)
    if not args.no_baselines:
        names += [b for b in _baselines() if b not in names]
    if args.dry_run:
        return _dry_run(args, tasks, names, device)
    executor = _executor(args, device)
    store = ResultStore(args.store)
    command = _command_line()
    evaluator = Evaluator(tasks, dataset=args.dataset, seeds=args.seeds, device=device, store=store, force=args.force,
                          n_bootstrap=args.bootstrap_iters, time_limit=args.time_limit, command=command,
                          batch_size=args.batch_size, limit=args.limit, executor=executor)
    t0 = time.perf_counter()
    rows = []
    labels = []
    if executor != "local":  # every model at once, each loaded on its worker
        from .runner import ModelSpec

        specs = {}
        for name in names:
            margs = args.model_args if args.model_args and not name.startswith(("ref:", "null:")) else None
            specs[_model_label(name, margs)] = ModelSpec(name, margs, args.dataset)
        labels = list(specs)
        rows = evaluator.run(specs).rows
        names = []
    for name in names:  # one model at a time: a model that cannot load does not stop the others' stored results
        margs = args.model_args if args.model_args and not name.startswith(("ref:", "null:")) else None
        label = _model_label(name, margs)
        labels.append(label)
        model = load_model(name, device=device, dataset=args.dataset, model_args=margs)
        rows += evaluator.run({label: model}).rows
    from .results import Results

    results = Results(rows, store_path=store.path)
    board = Leaderboard.from_rows(results.rows, data=store)  # the store has the per-example values for the tie tests
    limited = f" LIMITED to the first {args.limit} rows of each split (tasks named TASK[limit={args.limit}]): not comparable to full runs." if args.limit else ""
    header = f"Generated by `{command}` on {device}; seeds {args.seeds}; store `{store.path}`.{limited}"
    print(board.to_markdown(header=header))
    if args.out:
        board.write(args.out, title=f"latentbench leaderboard{': ' + args.suite if args.suite else ''}", header=header)
        results.to_json(Path(args.out) / "results.json")
        log(f"wrote {args.out}/leaderboard.md, .json, .csv and results.json")
    n_cached = sum(1 for r in rows if r.get("cached"))
    failed = sorted({(r["task"], str(r["model"])) for r in results.failed})
    log(f"{len(rows)} results ({n_cached} from the store) in {time.perf_counter() - t0:.1f} s; "
        f"{len(failed)} failed, {len({(r['task'], r['model']) for r in results.skipped})} skipped")
    return _run_status(rows, labels, failed, allow_failures=args.allow_failures)


def _executor(args: argparse.Namespace, device: str) -> Any:
    """``local``, or a RayExecutor from ``--executor ray --address --cpus-per-unit --gpus-per-unit``."""
    from .exceptions import SpecError

    if args.executor == "local":
        extra = [f for f, v in (("--address", args.address), ("--gpus-per-unit", args.gpus_per_unit)) if v is not None]
        if extra or args.cpus_per_unit != 1.0:
            raise SpecError(f"{', '.join(extra) or '--cpus-per-unit'} applies to --executor ray only; add --executor ray")
        return "local"
    from .executors import RayExecutor, import_ray

    import_ray()  # says which command installs it, before anything is loaded
    return RayExecutor(args.address, cpus_per_unit=args.cpus_per_unit, gpus_per_unit=args.gpus_per_unit, device=device)


def _run_status(rows: list[dict[str, Any]], names: list[str], failed: list[tuple[str, str]], *, allow_failures: bool) -> int:
    """The exit status of a run: 3 if a model (baselines aside) had nothing measured, 1 if a job failed, else 0."""
    measured = {str(r["model"]) for r in rows if r["status"] == "ok"}
    unmeasured = [m for m in names if m not in measured and not m.startswith("null:")]
    if unmeasured:  # a model on which no task ran: exit non-zero, with the reasons
        reasons = sorted({str(r.get("message")) for r in rows if str(r["model"]) in unmeasured and r["status"] != "ok"})
        print(f"latentbench: error: nothing was measured on {', '.join(unmeasured)}: "
              + ("; ".join(reasons[:3]) + (f" (and {len(reasons) - 3} more reasons)" if len(reasons) > 3 else "") if reasons else "no task ran"),
              file=sys.stderr)
        return EXIT_NOTHING_MEASURED
    if failed and not allow_failures:
        shown = ", ".join(f"{t} on {m}" for t, m in failed[:3]) + (f" and {len(failed) - 3} more" if len(failed) > 3 else "")
        print(f"latentbench: error: {len(failed)} job(s) failed ({shown}; the reasons are in the table); "
              f"pass --allow-failures to exit 0 anyway", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _dry_run(args: argparse.Namespace, tasks: list[Any], names: list[str], device: str) -> int:
    """``run --dry-run``: the jobs, what the store has, what will be skipped and why, and a time estimate."""
    from .exceptions import LatentBenchError
    from .models.loader import load_model
    from .runner import Evaluator
    from .store import ResultStore

    from .paths import latentbench_home

    path = Path(args.store) if args.store else latentbench_home() / "results.db"
    store = ResultStore(path, create=False) if path.exists() else None  # never created by a dry run
    evaluator = Evaluator(tasks, dataset=args.dataset, seeds=args.seeds, device=device, store=store, force=args.force,
                          n_bootstrap=args.bootstrap_iters, batch_size=args.batch_size, limit=args.limit, progress=False)
    plan: list[dict[str, Any]] = []
    for name in names:
        margs = args.model_args if args.model_args and not name.startswith(("ref:", "null:")) else None
        label = _model_label(name, margs)
        try:
            model = load_model(name, device=device, dataset=args.dataset, train=False, model_args=margs)
        except LatentBenchError as exc:
            if name.startswith("ref:") and "is not trained yet" in str(exc):
                reason = f"not trained yet: it is trained first ({exc})"
                plan += [{"model": label, "task": t.name, "seed": s, "action": "run", "reason": reason, "estimate_s": None}
                         for t in evaluator.tasks for s in evaluator.seeds]
                continue
            raise
        plan += evaluator.plan({label: model})
    rows = [(p["model"], p["task"], str(p["seed"]), p["action"],
             "-" if p["estimate_s"] is None else f"{p['estimate_s']:.1f}", p["reason"] or "") for p in plan]
    _table(["model", "task", "seed", "action", "est. s", "reason"], rows)
    counts = {a: sum(1 for p in plan if p["action"] == a) for a in ("cached", "run", "skip", "unknown")}
    known = [p["estimate_s"] for p in plan if p["action"] in ("run", "unknown") and p["estimate_s"] is not None]
    n_unknown_time = sum(1 for p in plan if p["action"] in ("run", "unknown") and p["estimate_s"] is None)
    estimate = f"about {sum(known):.0f} s for {len(known)} job(s) timed in the store" if known else "no timing in the store yet"
    print(f"\n{len(plan)} jobs: {counts['cached']} in the store, {counts['run']} to run, {counts['skip']} to skip, "
          f"{counts['unknown']} to run unless stored (the model is fitted first); {estimate}"
          + (f", {n_unknown_time} not timed" if known and n_unknown_time else "") + " (encoding and training not included). "
          "Nothing was run (--dry-run).")
    return EXIT_OK


def _cmd_train(args: argparse.Namespace) -> int:
    from .adapters import resolve_device
    from .models.zoo import list_reference_models, train_reference

    device = resolve_device(args.device)
    refs = []
    for r in args.refs:
        r = r.removeprefix("ref:")
        if r in ("all", "all-quick", "all-full", "all-text", "all-anomaly", "all-transfer"):
            tier = r.removeprefix("all-") if r in ("all-full", "all-text", "all-anomaly", "all-transfer") else "quick"
            refs += [s.name for s in list_reference_models() if s.tier == tier]
        else:
            refs.append(r)
    rows = []
    executor = _executor(args, device)
    if executor != "local":
        return _train_on(executor, refs, args, device)
    for name in refs:
        for seed in args.seeds or [None]:
            _, meta = train_reference(name, seed=seed, device=device, force=args.force)
            final = meta.get("final", {})
            rows.append((name, str(meta["seed"]), meta["device"], f"{meta['train_seconds']:.1f}",
                         ", ".join(f"{k}={v:.4g}" for k, v in final.items() if k != "epoch"), meta["fingerprint"]))
    _table(["model", "seed", "device", "seconds", "final", "fingerprint"], rows)
    return 0


def _train_on(executor: Any, refs: list[str], args: argparse.Namespace, device: str) -> int:
    """``train --executor ray``: every (model, seed) a unit; each checkpoint is written into this
    machine's cache as it arrives; a failed one is reported and the others go on (exit 1)."""
    from .executors import unit_failure_reason
    from .models.zoo import get_reference_spec, keep_trained, train_unit
    from .paths import latentbench_home

    for name in refs:
        get_reference_spec(name)  # an unknown name is one line before anything starts
    jobs = [(name, seed, device, bool(args.force), str(latentbench_home())) for name in refs for seed in (args.seeds or [None])]
    rows, failed = [], 0
    for i, got in executor.map_units(train_unit, jobs):
        name, seed = jobs[i][0], jobs[i][1]
        if isinstance(got, BaseException):
            failed += 1
            rows.append((name, str(seed if seed is not None else "default"), device, "-", f"FAILED: {unit_failure_reason(got)}", "-"))
            continue
        keep_trained(got)
        meta = got["meta"]
        final = meta.get("final", {})
        rows.append((name, str(meta["seed"]), meta["device"], f"{meta['train_seconds']:.1f}",
                     ", ".join(f"{k}={v:.4g}" for k, v in final.items() if k != "epoch"), meta["fingerprint"]))
    _table(["model", "seed", "device", "seconds", "final", "fingerprint"], rows)
    return 1 if failed else 0


def _cmd_check(args: argparse.Namespace) -> int:
    from .conformance import check

    dataset = args.dataset
    if dataset is None and args.model.startswith("ref:"):
        from .models.zoo import checkpoint_format, get_reference_spec, reference_dataset_name

        spec = get_reference_spec(args.model[4:].partition("@")[0])
        if checkpoint_format(spec).bound_to_dataset:
            dataset = reference_dataset_name(spec)  # the draw it was trained on
    report = check(args.model, dataset=dataset, device=args.device, smoke=not args.no_smoke)
    print(report.to_text())
    if not report.passed:
        return EXIT_FAILED
    return EXIT_NOTHING_MEASURED if report.smoke_ran is False else EXIT_OK


def _report_command_line(args: argparse.Namespace) -> str:
    import shlex

    parts = ["latentbench", "report"]
    for flag, value in (("--store", args.store), ("--suite", args.suite), ("--title", args.title), ("--export", args.export)):
        if value:
            parts += [flag, str(value)]
    if args.models:
        parts += ["--models", *args.models]
    for n in args.note:
        parts += ["--note", n]
    if args.alpha != 0.05:
        parts += ["--alpha", str(args.alpha)]
    if args.bootstrap_iters != 2000:
        parts += ["--bootstrap-iters", str(args.bootstrap_iters)]
    for name, datasets in args.benchmark:
        parts += ["--benchmark", f"{name}={','.join(datasets)}"]
    if args.no_plots:
        parts.append("--no-plots")
    if args.all_training_seeds:
        parts.append("--all-training-seeds")
    return " ".join(shlex.quote(p) for p in [*parts, "--out", args.out])


#: Suites whose datasets form one benchmark each in a report (many small datasets, one question, the
#: same models on each). Not transfer: its digits and shapes shifts have disjoint models (a DANN per
#: source), so one table would leave every model without a mean rank; each shifted dataset is its own.
GROUPED_SUITES = ("text", "anomaly")


def _benchmark_group(text: str) -> tuple[str, list[str]]:
    name, sep, datasets = text.partition("=")
    members = [d.strip() for d in datasets.split(",") if d.strip()]
    if not sep or not name.strip() or not members:
        raise argparse.ArgumentTypeError(f"expected NAME=DATASET[,DATASET...], got {text!r}")
    return name.strip(), members


def _benchmark_groups(declared: Sequence[tuple[str, list[str]]]) -> dict[str, list[str]]:
    """The report's benchmarks: the declared groups, then one per grouped suite for its datasets that
    are not declared and that no other suite uses (``digits`` stays its own benchmark although an
    anomaly task reads it)."""
    from .tasks.registry import get_suite, get_task, list_suites

    groups: dict[str, list[str]] = {name: list(ds) for name, ds in declared}
    taken = {d for ds in groups.values() for d in ds}
    taken |= {get_task(t).dataset for suite in list_suites() if suite.name not in GROUPED_SUITES for t in suite.tasks}
    for suite in GROUPED_SUITES:
        if suite in groups:
            continue
        members = [d for d in dict.fromkeys(get_task(t).dataset for t in get_suite(suite).tasks) if d not in taken]
        if members:
            groups[suite] = members
            taken.update(members)
    return groups


def _cmd_report(args: argparse.Namespace) -> int:
    from .progress import log
    from .report.build import write_report
    from .report.data import load_report_data
    from .tasks.registry import get_suite

    tasks = list(get_suite(args.suite).tasks) if args.suite else None
    data = load_report_data(args.store, models=args.models, tasks=tasks)
    if not data.rows:  # nothing to report: exit 3, as a run that measured nothing does
        print(f"latentbench: error: the store {data.source} has no results" + (" for those models/tasks" if args.models or tasks else ""),
              file=sys.stderr)
        return EXIT_NOTHING_MEASURED
    plots = not args.no_plots
    if plots and importlib.util.find_spec("matplotlib") is None:
        plots = False
        log("matplotlib is not installed: the report is written without plots (pip install 'latentbench[plots]')")
    title = args.title or f"latentbench leaderboard{': ' + args.suite if args.suite else ''}"
    header = [f"Generated by `{_report_command_line(args)}` from the stored results (nothing is recomputed; "
              "run that command again to regenerate every file).", *args.note]
    result = write_report(data, args.out, title=title, header=header, models=args.models, alpha=args.alpha,
                          n_resamples=args.bootstrap_iters, plots=plots, export=args.export, suite_tasks=tasks,
                          training_seeds="all" if args.all_training_seeds else "first",
                          benchmarks=_benchmark_groups(args.benchmark))
    print(result.markdown)
    log(f"wrote {len(result.paths)} files into {args.out} in {result.seconds:.1f} s")
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    from .progress import log
    from .report.compare import compare
    from .report.data import load_report_data, merge_report_data
    from .tasks.registry import get_suite

    tasks = list(get_suite(args.suite).tasks) if args.suite else None
    data = load_report_data(args.store, tasks=tasks)
    refs = _references_path(args.references)
    if refs is not None:
        data = merge_report_data(data, load_report_data(refs, tasks=tasks))
        log(f"reference results from {refs}")
    result = compare(data, args.model, against=args.against, alpha=args.alpha, n_resamples=args.bootstrap_iters)
    text = result.to_markdown()
    print(text)
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "compare.md").write_text(text)
        (out / "compare.json").write_text(result.to_json())
        log(f"wrote {out / 'compare.md'} and compare.json")
    return 0


def _references_path(text: str | None) -> str | None:
    """``compare --references``: the file given, ``None`` for 'none', else the results shipped in the package."""
    from .exceptions import InputValidationError
    from .reference_results import shipped_reference_results

    if text is not None and text.lower() == "none":
        return None
    if text is None:
        return shipped_reference_results()
    if not Path(text).is_file():
        raise InputValidationError(f"--references {text!r} does not exist; pass a .json export or a results database, "
                                   f"or 'none' to compare within --store only")
    return text


def _cmd_cka(args: argparse.Namespace) -> int:
    from .adapters import resolve_device
    from .comparison import cka_pairs
    from .models.loader import expand_model_names, load_model
    from .store import ResultStore

    names = list(dict.fromkeys(expand_model_names(args.models)))
    if len(names) < 2:
        from .exceptions import SpecError

        raise SpecError("cka needs at least two models (e.g. `latentbench cka ref:vae ref:beta-vae --dataset shapes`)")
    kernels = [k.strip() for k in args.kernels.split(",") if k.strip()]
    device = resolve_device(args.device)
    models = {n: load_model(n, device=device, dataset=args.dataset) for n in names}
    rows = cka_pairs(models, args.dataset, split=args.split, kernels=kernels, max_rows=args.max_rows, seed=args.seed,
                     n_rounds=args.rounds, device=device, store=ResultStore(args.store), force=args.force,
                     command=_command_line())
    table = []
    for r in rows:
        v = r.get("value")
        ci = f"[{r['ci_low']:.3f}, {r['ci_high']:.3f}]" if r.get("ci_low") is not None and r.get("ci_high") is not None else ""
        table.append((r["model_a"], r["model_b"], r["metric"], "-" if v is None else f"{v:.4f}", ci, str(r.get("n") or ""),
                      r["status"] + (" (stored)" if r.get("cached") else ""), r.get("message") or ""))
    _table(["model A", "model B", "kernel", "CKA", "95% CI", "rows", "status", "message"], table)
    return EXIT_OK if any(r["status"] == "ok" for r in rows) else EXIT_NOTHING_MEASURED


def _cmd_audit(args: argparse.Namespace) -> int:
    from .audit import audit
    from .store import ResultStore

    from .adapters import resolve_device

    executor = _executor(args, resolve_device(args.device))
    report, results = audit(args.model, dataset=args.dataset, auxiliary=args.auxiliary, out=args.out, device=args.device,
                            store=ResultStore(args.store), force=args.force, n_bootstrap=args.bootstrap_iters, seed=args.seed,
                            executor=executor)
    print(report.to_markdown())
    # the same exit statuses as `run`: 3 if no audit task measured anything, 1 if one failed (unless --allow-failures)
    rows = list(results.rows)
    failed = sorted({(r["task"], str(r["model"])) for r in rows if r["status"] == "failed"})
    return _run_status(rows, sorted({str(r["model"]) for r in rows}), failed, allow_failures=args.allow_failures)


COMMANDS = {"list": _cmd_list, "run": _cmd_run, "train": _cmd_train, "check": _cmd_check, "report": _cmd_report,
            "compare": _cmd_compare, "audit": _cmd_audit, "cka": _cmd_cka}


_ARGV: list[str] = []


def _command_line() -> str:
    """The command as it was given (``latentbench`` and every argument), quoted for a shell."""
    import shlex

    return shlex.join(["latentbench", *_ARGV])


def _warn_deprecated(argv: list[str]) -> None:
    for a in argv:
        flag = a.partition("=")[0]
        if flag in DEPRECATED_FLAGS:
            print(f"latentbench: warning: {flag} is deprecated; use {DEPRECATED_FLAGS[flag]}", file=sys.stderr)


def _importable_current_folder() -> None:
    """Make ``package.module:factory`` importable from the current folder, as ``python -m`` and pytest do.

    Appended (not prepended), so a local folder never shadows an installed package."""
    cwd = os.getcwd()
    if "" not in sys.path and cwd not in sys.path:
        sys.path.append(cwd)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``latentbench`` command; returns the exit status (see ``latentbench --help``)."""
    _ARGV[:] = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    if not _ARGV:  # a bare `latentbench`: the help, as git and lm-eval do
        parser.print_help()
        return EXIT_OK
    args = parser.parse_args(argv)
    if args.command is None:  # options without a command (e.g. only --specs): say what is missing
        parser.error("a command is required (list, run, train, check, report, compare, audit)")
    _warn_deprecated(_ARGV)
    from .exceptions import LatentBenchError
    from .progress import set_quiet

    from .specs import add_spec_dir

    level = args.verbosity or ("WARNING" if args.quiet else "INFO")
    args.debug = args.debug or level == "DEBUG"
    set_quiet(args.quiet or level in ("WARNING", "ERROR", "CRITICAL"))
    _importable_current_folder()
    try:
        for d in args.specs:
            add_spec_dir(d)
        status = COMMANDS[args.command](args)
        sys.stdout.flush()
        return status
    except BrokenPipeError:  # `latentbench list tasks | head`: the reader left; not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so that the interpreter's final flush does not raise again
        return EXIT_OK
    except KeyboardInterrupt:
        print("latentbench: interrupted; finished results are in the store, rerun the same command to resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    except LatentBenchError as exc:
        if args.debug:
            raise
        print(f"latentbench: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:
        if args.debug:
            raise
        print(f"latentbench: unexpected {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''} "
              "(rerun with --debug for the traceback and please report it)", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
