"""The layout's rules, checked on the source: imports go one way (corpus -> experiments -> evaluation,
scoring apart from experiments, `models/` apart from `train/`), and no module imports itself in a cycle.
Imports inside functions count too: a lazy import is still a dependency."""

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.code

ROOT = Path(__file__).resolve().parents[2]
SHARED = {"train", "train.paths", "train.errors", "train.console", "train.plots"}
# which stages a stage may import (besides itself)
ALLOWED = {
    "models": set(),
    "shared": {"models"},
    "tracking": {"models", "shared"},
    "corpus": {"models", "shared"},
    "experiments": {"models", "shared", "tracking", "corpus"},
    "evaluation": {"models", "shared", "tracking", "corpus", "experiments"},
    "scoring": {"models", "shared", "tracking"},
    "bench": {"models", "shared", "tracking", "scoring"},
    "cli": {"models", "shared", "tracking", "corpus", "experiments", "evaluation", "scoring", "bench",
            "cli_annotation"},
    "mpnet_install": {"models"},
    "cli_annotation": {"models", "shared", "tracking", "corpus", "experiments", "evaluation", "scoring", "labelstudio"},
    "labelstudio": {"models", "shared"},  # Label Studio's HTTP API, for `sectframes annotate`  # `make mpnet`: assembles and checks the encoder's files
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def our_modules() -> dict[str, Path]:
    return {module_name(p): p for package in ("models", "train") for p in (ROOT / package).rglob("*.py")}


def stage(module: str) -> str:
    if module.startswith("models"):
        return "models"
    if module in SHARED:
        return "shared"
    return module.split(".")[1]


def imports_of(path: Path, known: set[str]) -> set[str]:
    """Our modules that `path` imports (`from train import plots` counts as train.plots)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in known else node.module
                     for alias in node.names]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    modules = our_modules()
    return {name: imports_of(path, set(modules)) - {name} for name, path in modules.items()}


def test_every_module_has_a_stage(graph):
    assert {stage(m) for m in graph} <= set(ALLOWED)


def test_imports_go_one_way(graph):
    forbidden = sorted(f"{a} -> {b}" for a, targets in graph.items() for b in targets
                       if stage(b) != stage(a) and stage(b) not in ALLOWED[stage(a)])
    assert not forbidden, "imports against the flow:\n" + "\n".join(forbidden)


def test_no_import_cycles(graph):
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    cycles: list[str] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join(path[path.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_the_checker_sees_lazy_imports(tmp_path):
    """A function-level import is found, so a lazy import cannot hide a forbidden edge."""
    source = tmp_path / "m.py"
    source.write_text("def f():\n    from train.experiments import metrics\n    import train.tracking\n")
    assert imports_of(source, {"train", "train.experiments", "train.experiments.metrics", "train.tracking"}) == {
        "train.experiments.metrics", "train.tracking"}


def test_modules_stay_small():
    sizes = {name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in our_modules().items()}
    too_long = {name: n for name, n in sizes.items() if n > 350}
    assert not too_long, f"modules over 350 lines: {too_long}"
