"""Settings come from VERSO_* variables and .env; the secret key is generated once, never defaulted."""

from __future__ import annotations

from pathlib import Path

import pytest

from verso.settings import Settings, load_settings, settings_table


def test_defaults_use_sqlite_under_the_data_dir(tmp_path: Path) -> None:
    settings = load_settings({"VERSO_DATA_DIR": str(tmp_path)}, dotenv=tmp_path / "missing.env")
    assert settings.effective_database_url == f"sqlite+aiosqlite:///{tmp_path.resolve() / 'verso.db'}"
    assert settings.is_sqlite and not settings.https


def test_environment_overrides_dotenv_and_types_are_coerced(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("VERSO_PORT=9000\nVERSO_DEBUG=yes\n# comment\nVERSO_HOST='0.0.0.0'\n")
    settings = load_settings({"VERSO_DATA_DIR": str(tmp_path), "VERSO_PORT": "9100"}, dotenv=dotenv)
    assert settings.port == 9100
    assert settings.debug is True
    assert settings.host == "0.0.0.0"


def test_invalid_value_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="VERSO_PORT"):
        load_settings({"VERSO_DATA_DIR": str(tmp_path), "VERSO_PORT": "eighty"}, dotenv=tmp_path / "x")


def test_secret_key_is_generated_once_and_kept(tmp_path: Path) -> None:
    env = {"VERSO_DATA_DIR": str(tmp_path / "data")}
    first = load_settings(env, dotenv=tmp_path / "x").secret_key
    second = load_settings(env, dotenv=tmp_path / "x").secret_key
    assert first == second and len(first) >= 48
    assert (tmp_path / "data" / "secret_key").stat().st_mode & 0o777 == 0o600
    other = load_settings({"VERSO_DATA_DIR": str(tmp_path / "other")}, dotenv=tmp_path / "x").secret_key
    assert other != first


def test_https_base_url_turns_on_secure_cookies(tmp_path: Path) -> None:
    settings = load_settings(
        {"VERSO_DATA_DIR": str(tmp_path), "VERSO_BASE_URL": "https://shop.example"}, dotenv=tmp_path / "x"
    )
    assert settings.https


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for name, _default, meaning in settings_table():
        assert f"`{name}`" in readme, f"{name} missing from the README settings table"
        assert meaning
    assert len(settings_table()) == len(Settings.__dataclass_fields__)


def test_readme_test_command_is_the_one_ci_runs() -> None:
    root = Path(__file__).resolve().parents[2]
    ci = (root / ".ci" / "run").read_text()
    command = next(line for line in ci.splitlines() if line.startswith("python3 -m venv .venv"))
    assert command in (root / "README.md").read_text()
