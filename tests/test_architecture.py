"""Dependencies point one way (DESIGN.md): only bot/ and handlers/ know Telegram."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "services", "models", "scheduler")
# What each package may import from the project's own packages.
ALLOWED = {
    "bot": {"bot", "handlers", "services", "models", "scheduler"},
    "handlers": {"handlers", "services", "models"},
    "scheduler": {"scheduler", "services", "models"},
    "services": {"services", "models"},
    "models": {"models"},
}
CHAT_SDKS = {"telegram", "wechatpy"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def _modules(package: str):
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_point_downwards(package):
    for module in _modules(package):
        own = _imports(module) & set(PACKAGES)
        assert own <= ALLOWED[package], (
            f"{module.relative_to(ROOT)} imports {own - ALLOWED[package]}"
        )


@pytest.mark.parametrize("package", ["services", "models", "scheduler"])
def test_no_chat_sdk_below_handlers(package):
    for module in _modules(package):
        sdks = _imports(module) & CHAT_SDKS
        assert not sdks, f"{module.relative_to(ROOT)} imports {sdks}"
