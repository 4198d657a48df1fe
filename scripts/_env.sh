# Shared by scripts/run and scripts/test: a project virtualenv, (re)installed
# only when pyproject.toml changed, and compiled message catalogs.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PYTHON="${PYTHON:-python3}"
VENV="$ROOT/.venv"

ensure_venv() {  # $1: pip install target, e.g. "." or ".[dev]"
    local target="$1" stamp="$VENV/.installed-$(echo "$1" | tr -c 'a-z' '_')"
    if [ ! -x "$VENV/bin/python" ]; then
        "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
            || { echo "Python 3.11 or newer is needed (set PYTHON=/path/to/python3.11)" >&2; exit 1; }
        "$PYTHON" -m venv "$VENV"
    fi
    if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$target"
        touch "$stamp"
    fi
    "$VENV/bin/python" scripts/i18n.py compile >/dev/null
}

ensure_font() {  # the CJK font service certificates embed (fetched with npm, checked)
    "$VENV/bin/python" scripts/fetch_font.py
}
