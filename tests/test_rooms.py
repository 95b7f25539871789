"""The rooms of DESIGN.md, enforced by parsing imports.

Each third-party library lives in one room; judge/ does no I/O; SQL is written
only in store/; models and errors import nothing of ours; nothing imports cli/;
and no module can be imported first and fail on an import loop.
"""

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "archiver"

# library -> the only rooms (paths relative to archiver/, prefix match) allowed to import it
OWNERS = {
    "requests": ("fetch/",),
    "urllib3": ("fetch/",),
    "warcio": ("warc/",),
    "cdxj_indexer": ("warc/",),
    "sqlalchemy": ("store/",),
    "alembic": ("store/",),
    "sqlite3": ("store/",),
    "psycopg": ("store/",),
    "apscheduler": ("daemon/",),
    "click": ("cli/",),
    "rich": ("cli/", "report/formats/as_table.py"),
    "trafilatura": ("extract/",),
    "lxml": ("extract/", "sources/feeds.py"),  # HTML parsing (pages, client-side redirects); feeds' XML
    "bs4": ("extract/",),
    "charset_normalizer": ("extract/",),
    "tldextract": ("urls.py",),
    "protego": ("fetch/",),
    "jinja2": ("report/",),
    "feedparser": ("sources/",),
    "pywb": ("warc/replay.py",),
    "gevent": ("warc/replay.py",),  # pywb's server; monkey-patches the process that imports it
    "playwright": ("browser/",),  # browser capture: drives Debian's chromium
    "flask": ("web/",),  # `archiver serve`, the review UI
    "werkzeug": ("web/",),  # Flask's server and request tools
    "dramatiq": ("queue/",),  # queue mode: messages and workers
    "redis": ("queue/",),  # the broker's Redis, and politeness shared through it
    "boto3": ("warc/bucket.py",),  # WARCs in an S3-compatible bucket
    "botocore": ("warc/bucket.py",),
}
GROUND_FLOOR = ("models.py", "errors.py", "urls.py", "logs.py", "processes.py", "lazy.py", "settings/", "__init__.py",
                "__main__.py")
ROOMS = ("sources/", "fetch/", "browser/", "warc/", "extract/", "judge/", "store/", "report/", "pipeline/", "daemon/",
         "queue/", "web/", "cli/")
# What judge/ may import: pure computation from the standard library, and our own vocabulary.
PURE_STDLIB = {"__future__", "dataclasses", "datetime", "typing", "re", "html", "math", "difflib", "hashlib",
               "unicodedata", "collections", "enum", "email", "urllib", "itertools", "functools"}
PURE_OURS = ("archiver.models", "archiver.errors", "archiver.urls", "archiver.settings", "archiver.judge")
SQL_STATEMENT = re.compile(r"^\s*(SELECT\s.+\sFROM|INSERT INTO|UPDATE \w+ SET|DELETE FROM|(CREATE|DROP|ALTER) (TABLE|INDEX|SCHEMA)"
                           r"|PRAGMA|ANALYZE|VACUUM|BEGIN( IMMEDIATE| DEFERRED| EXCLUSIVE)?$)\b", re.DOTALL)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        yield path.relative_to(PACKAGE).as_posix(), path


def test_every_module_is_on_the_ground_floor_or_in_a_room():
    loose = [rel for rel, _ in _modules() if not rel.startswith(GROUND_FLOOR + ROOMS)]
    assert not loose, loose


def test_each_library_is_imported_only_in_its_room():
    offenders = []
    for rel, path in _modules():
        for name in _imports(path):
            top = name.split(".")[0]
            owners = OWNERS.get(top)
            if owners and not rel.startswith(owners):
                offenders.append(f"{rel} imports {top} (room: {', '.join(owners)})")
    assert not offenders, offenders


def test_models_and_errors_import_nothing_of_ours():
    for rel, path in _modules():
        if rel in ("models.py", "errors.py"):
            assert not [n for n in _imports(path) if n.startswith("archiver")], rel


def test_the_ground_floor_imports_no_room():
    for rel, path in _modules():
        if rel.startswith(("models.py", "errors.py", "urls.py", "logs.py", "processes.py", "settings/")):
            rooms = [n for n in _imports(path) if n.startswith("archiver.") and n.split(".")[1] + "/" in ROOMS]
            assert not rooms, (rel, rooms)


def test_judge_does_no_io():
    offenders = []
    for rel, path in _modules():
        if not rel.startswith("judge/"):
            continue
        for name in _imports(path):
            if name.startswith("archiver"):
                if not name.startswith(PURE_OURS):
                    offenders.append(f"{rel} imports {name}")
            elif name.split(".")[0] not in PURE_STDLIB:
                offenders.append(f"{rel} imports {name}")
        calls = [node.func.id for node in ast.walk(ast.parse(path.read_text()))
                 if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)]
        offenders += [f"{rel} calls {name}()" for name in calls if name in ("open", "print", "input", "exec", "eval")]
    assert not offenders, offenders


def test_sql_is_written_only_in_store():
    offenders = []
    for rel, path in _modules():
        if rel.startswith("store/"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL_STATEMENT.match(node.value):
                offenders.append(f"{rel}:{node.lineno}: {node.value[:40]!r}")
    assert not offenders, offenders


def test_nothing_imports_cli():
    for rel, path in _modules():
        if not rel.startswith(("cli/", "__main__.py")):
            assert not [n for n in _imports(path) if n.startswith("archiver.cli")], rel


def test_every_module_imports_first_without_a_loop():
    """Each module imported first in a clean interpreter: a loop hidden by import order fails here."""
    names = [".".join(("archiver", *Path(rel).with_suffix("").parts)).removesuffix(".__init__")
             for rel, _ in _modules() if not rel.endswith("__main__.py")]
    script = (
        "import importlib, json, sys\n"
        "failures = {}\n"
        "for name in json.loads(sys.argv[1]):\n"
        "    for loaded in [m for m in sys.modules if m == 'archiver' or m.startswith('archiver.')]:\n"
        "        del sys.modules[loaded]\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception as exc:\n"
        "        failures[name] = f'{type(exc).__name__}: {exc}'\n"
        "print(json.dumps(failures))\n"
    )
    done = subprocess.run([sys.executable, "-c", script, json.dumps(sorted(set(names)))],
                          capture_output=True, text=True, timeout=110, check=True)
    assert json.loads(done.stdout.splitlines()[-1]) == {}


def test_formatters_do_no_io_and_jinja2_lives_in_the_html_formatter_only():
    modules = {rel: _imports(path) for rel, path in _modules()}
    assert {rel for rel, imports in modules.items() if "jinja2" in {n.split(".")[0] for n in imports}} == \
        {"report/formats/as_html.py"}
    for rel, imports in modules.items():
        if rel.startswith("report/formats/"):
            assert not {n.split(".")[0] for n in imports} & {"os", "socket", "sqlalchemy", "subprocess", "tempfile",
                                                            "shutil", "pathlib", "requests"}, rel


def test_no_private_name_is_imported_from_another_module():
    offenders = []
    for rel, path in _modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("archiver"):
                offenders += [f"{rel} imports {alias.name} from {node.module}" for alias in node.names
                              if alias.name.startswith("_") and not alias.name.startswith("__")]
    assert not offenders, offenders


def _imported_names(path: Path) -> set[str]:
    return {f"{node.module}.{alias.name}" for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.ImportFrom) and node.module for alias in node.names}


def test_the_terminal_only_prints():
    """cli/terminal.py is handed what the commands read; it opens no database and reads no lock file."""
    names = _imported_names(PACKAGE / "cli" / "terminal.py")
    reaching_out = {name for name in names if name.startswith(("archiver.store", "archiver.warc"))
                    or name.rsplit(".", 1)[1] in {"open_store", "open_pipeline", "read_lock_holder", "scheduled_runs",
                                                  "DaemonLock", "load_settings", "connect"}}
    assert not reaching_out
    calls = {node.func.id for node in ast.walk(ast.parse((PACKAGE / "cli" / "terminal.py").read_text()))
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    assert "open" not in calls


def test_the_daemon_reaches_the_database_through_the_store():
    for rel, path in _modules():
        if rel.startswith("daemon/"):
            assert not [name for name in _imports(path) if name.startswith(("archiver.store.", "sqlalchemy"))], rel


def _module_level_targets(name: str, path: Path, known: set[str]) -> set[str]:
    """Our modules that importing `name` runs first: each one named, and the packages above it.

    A module's own ancestors are left out: they are already importing when it starts.
    """
    ancestors = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)}
    targets = set()
    for node in ast.parse(path.read_text()).body:  # module level: not under TYPE_CHECKING, not in functions
        if isinstance(node, ast.Import):
            items = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            items = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        else:
            continue
        for item in items:
            parts = item.split(".")
            targets |= {".".join(parts[:i]) for i in range(1, len(parts) + 1)} & known
    return targets - ancestors - {name}


def test_no_import_cycle_at_module_level():
    """report/chart.py -> formats.common -> formats/__init__ -> as_html -> report/chart.py was one: hidden only
    because report/__init__ imported the formats first."""
    paths = {".".join(("archiver", *Path(rel).with_suffix("").parts)).removesuffix(".__init__"): path
             for rel, path in _modules()}
    graph = {name: _module_level_targets(name, path, set(paths)) for name, path in paths.items()}
    cycles, state, stack = [], {}, []

    def visit(name: str) -> None:
        state[name] = "open"
        stack.append(name)
        for target in sorted(graph[name]):
            if state.get(target) == "open":
                cycles.append(" -> ".join(stack[stack.index(target):] + [target]))
            elif target not in state:
                visit(target)
        stack.pop()
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name)
    assert not cycles, cycles


def test_the_browser_room_reaches_the_network_only_through_the_exchange_it_is_handed():
    """Every request of the browser is answered by the pipeline's Fetcher (guard, politeness, WARC): the room
    imports no fetching or recording room and no network library of its own."""
    for rel, path in _modules():
        if rel.startswith("browser/"):
            imports = _imports(path)
            assert not [n for n in imports if n.startswith(("archiver.fetch", "archiver.warc", "archiver.pipeline"))], rel
            assert not {n.split(".")[0] for n in imports} & {"socket", "urllib", "http", "requests", "urllib3"}, rel
