"""The rooms of DESIGN.md, enforced by parsing imports: each third-party library lives in one room."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "archiver"

# library -> the only modules (paths relative to archiver/, prefix match) allowed to import it
OWNERS = {
    "requests": ("fetch/",),
    "urllib3": ("fetch/",),
    "warcio": ("warc/",),
    "sqlalchemy": ("store/",),
    "alembic": ("store/",),
    "apscheduler": ("daemon/schedule.py",),
    "click": ("cli/",),
    "trafilatura": ("extract/",),
    "protego": ("fetch/",),
    "jinja2": ("report/",),
    "feedparser": ("sources/",),
    "pywb": ("warc/replay.py",),
    "gevent": ("warc/replay.py",),  # pywb's server; monkey-patches the process that imports it
}
PURE = ("models.py", "errors.py", "judge/classify.py", "judge/compare.py", "judge/verdicts.py", "judge/memento.py")
IO_MODULES = {"socket", "requests", "urllib3", "sqlalchemy", "warcio", "subprocess", "shutil", "tempfile"}


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
        yield path.relative_to(PACKAGE).as_posix(), _imports(path)


def test_each_library_is_imported_only_in_its_room():
    offenders = []
    for rel, imports in _modules():
        for name in imports:
            top = name.split(".")[0]
            owners = OWNERS.get(top)
            if owners and not rel.startswith(owners):
                offenders.append(f"{rel} imports {top} (room: {', '.join(owners)})")
    assert not offenders, offenders


def test_models_and_errors_import_nothing_of_ours():
    for rel, imports in _modules():
        if rel in ("models.py", "errors.py"):
            assert not [n for n in imports if n.startswith("archiver")], rel


def test_pure_modules_do_no_io():
    for rel, imports in _modules():
        if rel in PURE:
            assert not {n.split(".")[0] for n in imports} & IO_MODULES, rel


def test_nothing_imports_cli():
    for rel, imports in _modules():
        if not rel.startswith(("cli/", "__main__.py")):
            assert not [n for n in imports if n.startswith("archiver.cli")], rel
