"""The import contracts (pyproject.toml [tool.importlinter]) hold, and the app-boundary
contract type catches what it is meant to catch."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LINT_IMPORTS = str(Path(sys.executable).parent / "lint-imports")


def _lint(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PYTHONPATH": f"{cwd}:{REPO}", "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    return subprocess.run(
        [LINT_IMPORTS, "--no-logo", "--no-cache", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _package(root: Path, files: dict[str, str]) -> None:
    for name, body in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(body), encoding="utf-8")
        for parent in path.relative_to(root).parents:
            if parent != Path("."):
                (root / parent / "__init__.py").touch()


CONFIG = """\
[importlinter]
root_package = shop
contract_types =
    app_boundaries: nyeri.lib.import_contracts.AppBoundariesContract

[importlinter:contract:apps]
name = Apps
type = app_boundaries
apps =
    shop.orders
    shop.stock
platform =
    shop.base
"""


def test_the_contracts_of_the_project_are_kept() -> None:
    result = _lint(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_view_reading_another_apps_models_breaks_the_contract_and_its_selectors_do_not(tmp_path: Path) -> None:
    _package(
        tmp_path,
        {
            "shop/stock/models.py": "class Item: ...\n",
            "shop/stock/selectors.py": "from shop.stock.models import Item\n",
            "shop/orders/models.py": "class Order: ...\n",
            # Its own models and the other app's selectors are allowed; the other app's models are not.
            "shop/orders/views.py": "from shop.orders.models import Order\nfrom shop.stock import selectors\n",
            "shop/orders/api.py": "from shop.stock.models import Item\n",
            "shop/orders/sub/views.py": "from shop.stock.models import Item\n",
            "shop/base/audit.py": "",
        },
    )
    (tmp_path / ".importlinter").write_text(CONFIG, encoding="utf-8")
    result = _lint(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "shop.orders.api -> shop.stock.models (l.1)" in result.stdout
    assert "shop.orders.sub.views -> shop.stock.models (l.1)" in result.stdout
    assert "shop.orders.views ->" not in result.stdout


def test_the_platform_importing_an_app_even_through_another_module_breaks_the_contract(tmp_path: Path) -> None:
    _package(
        tmp_path,
        {
            "shop/stock/models.py": "class Item: ...\n",
            "shop/orders/models.py": "class Order: ...\n",
            "shop/helpers.py": "from shop.stock.models import Item\n",
            "shop/base/audit.py": "from shop import helpers\n",
        },
    )
    (tmp_path / ".importlinter").write_text(CONFIG, encoding="utf-8")
    result = _lint(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "shop.base.audit -> shop.helpers -> shop.stock.models" in result.stdout.replace("\n", " ")


def test_an_ignored_import_keeps_the_contract(tmp_path: Path) -> None:
    _package(
        tmp_path,
        {
            "shop/stock/models.py": "class Item: ...\n",
            "shop/orders/api.py": "from shop.stock.models import Item\n",
            "shop/base/audit.py": "",
        },
    )
    config = CONFIG + "ignore_imports =\n    shop.orders.api -> shop.stock.models\n"
    (tmp_path / ".importlinter").write_text(config, encoding="utf-8")
    result = _lint(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_app_missing_from_the_code_is_reported_not_passed_over(tmp_path: Path) -> None:
    _package(tmp_path, {"shop/orders/models.py": "", "shop/base/audit.py": ""})
    (tmp_path / ".importlinter").write_text(CONFIG, encoding="utf-8")
    result = _lint(tmp_path)
    assert result.returncode != 0
    assert "shop.stock" in result.stdout + result.stderr
