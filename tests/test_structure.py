"""The shape of the package: what its modules may import and touch."""

import ast
import re
from pathlib import Path

import sklstm

PACKAGE = Path(sklstm.__file__).parent
COMPAT = PACKAGE / "_sklearn_compat.py"


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts), path


def _imports(name, path):
    """Modules ``name`` imports (at any depth of its code), absolute."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((alias.name, None, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                found.append((base, alias.name, node.lineno))
    return found


def test_no_closure_reading():
    for name, path in _modules():
        text = path.read_text()
        for word in ("__closure__", "cell_contents", "co_freevars"):
            assert word not in text, f"{name} reads closures ({word})"


def test_private_scikit_learn_names_only_in_the_compat_module():
    offenders = []
    for name, path in _modules():
        if path == COMPAT:
            continue
        for module, imported, line in _imports(name, path):
            if module.split(".")[0] != "sklearn":
                continue
            private = any(part.startswith("_") for part in module.split("."))
            private |= imported is not None and imported.startswith("_")
            if private:
                offenders.append(f"{path.name}:{line} {module} {imported or ''}")
        for number, text in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"\bsklearn(\.\w+)*\._\w", text) and "import" not in text:
                if not text.lstrip().startswith(("#", ">>>")) and "``" not in text:
                    offenders.append(f"{path.name}:{number} {text.strip()}")
    assert not offenders, "private scikit-learn names outside _sklearn_compat.py:\n" + (
        "\n".join(offenders))


def test_no_import_cycle():
    modules = dict(_modules())
    graph = {}
    for name, path in modules.items():
        targets = set()
        for module, imported, _ in _imports(name, path):
            for candidate in (f"{module}.{imported}" if imported else None, module):
                if candidate in modules and candidate != name:
                    targets.add(candidate)
                    break
        graph[name] = targets
    # a package's __init__ importing its own submodules is not a cycle
    for name in graph:
        graph[name] = {t for t in graph[name] if not name.startswith(t + ".")}
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycle = stack[stack.index(nxt):] + [nxt]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node)
