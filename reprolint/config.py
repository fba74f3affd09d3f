"""Configuration files: ``[tool.reprolint]`` in ``pyproject.toml``, or a ``reprolint.toml``.

The file is found by walking up from the linted path (the first path given, or the folder of
``--stdin-filename``); in one folder ``reprolint.toml`` wins over ``pyproject.toml``, and a
``pyproject.toml`` without a ``[tool.reprolint]`` table is passed over, as ruff does.
``--config PATH`` names the file explicitly. Every key is validated: an unknown key or a bad value
is a ``ConfigError`` naming the key and the file, never silently ignored.

Command-line options override the file. Rule selection is layered as in ruff: the file's
``select``/``extend-select``/``ignore`` apply first, then the command line's, and a ``select`` in
a later layer starts the set afresh.
"""

from __future__ import annotations

import difflib
import os
import re
import sys
from dataclasses import replace
from typing import Any, Callable, Optional

from reprolint.registry import ALL_RULES, UnknownSelector, did_you_mean, expand_selector
from reprolint.settings import Settings

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on Python < 3.11
    import tomli as tomllib

CONFIG_FILE_NAMES = ("reprolint.toml", "pyproject.toml")
# torch.manual_seed accepts seeds up to 2**64 - 1, and a fix inside a loop seeds iteration i with
# ``fix-seed + i``: half that range leaves room for every iteration.
MAX_SEED = 2**63 - 1
_DOTTED_NAME = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$")
_TORCH_VERSION = re.compile(r"^\d+\.\d+(\.\d+)?$")


class ConfigError(Exception):
    """A configuration file that cannot be used; the message names the file and the key."""


# -- validation of one value -------------------------------------------------------------------
class InvalidValue(Exception):
    pass


def _string_list(value) -> tuple:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InvalidValue(f"expected a list of strings, got {_show(value)}")
    return tuple(value)


def _selectors(value) -> tuple:
    selectors = _string_list(value)
    for selector in selectors:
        try:
            expand_selector(selector)
        except UnknownSelector:
            raise InvalidValue(f"unknown rule selector {selector!r}{did_you_mean(selector)}: expected a code (RPL101), a prefix "
                           "(RPL1), a rule name or ALL; see `reprolint rule --all`") from None
    return selectors


def _helper_names(value) -> tuple:
    names = _string_list(value)
    for name in names:
        if not _DOTTED_NAME.match(name):
            raise InvalidValue(f"{name!r} is not a function name (expected e.g. myproj.utils.set_determinism)")
    return names


def _globs(value) -> tuple:
    patterns = _string_list(value)
    for pattern in patterns:
        if not pattern.strip():
            raise InvalidValue("empty pattern")
    return patterns


def _per_file_ignores(value) -> tuple:
    if not isinstance(value, dict):
        raise InvalidValue(f"expected a table of glob = [codes], got {_show(value)}")
    entries = []
    for pattern, codes in value.items():
        try:
            entries.append((pattern, _selectors(codes)))
        except InvalidValue as exc:
            raise InvalidValue(f"entry {pattern!r}: {exc}") from None
    return tuple(entries)


def _verify_args(value) -> tuple:
    if not isinstance(value, dict):
        raise InvalidValue(f"expected a table of glob = [arguments], got {_show(value)}")
    entries = []
    for pattern, arguments in value.items():
        if not isinstance(arguments, list) or not all(isinstance(a, str) for a in arguments):
            raise InvalidValue(f"entry {pattern!r}: expected a list of strings (one per argument, "
                               f"as in [\"--steps\", \"2\"]), got {_show(arguments)}")
        entries.append((pattern, tuple(arguments)))
    return tuple(entries)


def _seed(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEED:
        raise InvalidValue(f"expected an integer seed from 0 to 2**63 - 1, got {_show(value)}")
    return value


def _torch_version(value) -> str:
    """A torch version (``"2.4"``), requirements (``"torch>=2.4"``, a list of them), or a table
    (``{torch = "2.4", lightning = "1.9"}``), normalised to comma-separated requirements (a bare
    version stays as it is: it means torch). ``reprolint.versions`` reads the result."""
    expected = ("expected a torch version such as \"2.1\", requirements such as \"torch>=2.4\" "
                "(torch, diffusers, lightning, accelerate), or a table such as {torch = \"2.4\"}, got ")
    if isinstance(value, dict):
        items = []
        for name, version in value.items():
            if name not in _VERSIONED_PACKAGES or not isinstance(version, str) or not _TORCH_VERSION.match(version):
                raise InvalidValue(expected + _show(value))
            items.append(f"{name}=={version}")
        return ",".join(items)
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(item, str) for item in items):
        raise InvalidValue(expected + _show(value))
    normalised = []
    for item in items:
        for part in item.split(","):
            part = part.strip()
            if _TORCH_VERSION.match(part):
                normalised.append(part)
                continue
            if normalised and _VERSION_CLAUSE.match(part):  # ``torch>=2.4,<3``: a clause of the last
                normalised[-1] += "," + part.replace(" ", "")
                continue
            match = _VERSIONED_REQUIREMENT.match(part)
            if match is None or match.group(1).lower() not in _VERSIONED_PACKAGES:
                raise InvalidValue(expected + _show(value))
            normalised.append(part.replace(" ", ""))
    return ",".join(normalised)


_VERSIONED_PACKAGES = ("torch", "pytorch", "diffusers", "lightning", "pytorch-lightning", "pytorch_lightning",
                       "accelerate")
_VERSION_CLAUSE = re.compile(r"^(===|==|~=|>=|<=|!=|>|<)\s*\d+(\.\d+){0,3}(\.\*)?$")
_VERSIONED_REQUIREMENT = re.compile(r"^([A-Za-z][A-Za-z_-]*)\s*(===|==|~=|>=|<=|!=|>|<)\s*\d+(\.\d+){0,3}(\.\*)?$")


def _boolean(value) -> bool:
    if not isinstance(value, bool):
        raise InvalidValue(f"expected true or false, got {_show(value)}")
    return value


def _show(value) -> str:
    return f"{type(value).__name__} {value!r}"


# File key -> (Settings field, validator).
KEYS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "select": ("select", _selectors),
    "ignore": ("ignore", _selectors),
    "extend-select": ("extend_select", _selectors),
    "per-file-ignores": ("per_file_ignores", _per_file_ignores),
    "exclude": ("exclude", _globs),
    "extend-exclude": ("extend_exclude", _globs),
    "include": ("include", _globs),
    "extend-include": ("extend_include", _globs),
    "force-exclude": ("force_exclude", _boolean),
    "respect-gitignore": ("respect_gitignore", _boolean),
    "determinism-helpers": ("determinism_helpers", _helper_names),
    "seeding-helpers": ("seeding_helpers", _helper_names),
    "fix-seed": ("fix_seed", _seed),
    "fixable": ("fixable", _selectors),
    "unfixable": ("unfixable", _selectors),
    "verify-args": ("verify_args", _verify_args),
    "target-version": ("target_version", _torch_version),
}


# -- finding and reading the file --------------------------------------------------------------
def _read_toml(path: str) -> dict:
    """The parsed file, or a ConfigError naming it and why it cannot be read."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise ConfigError(f"{path}: could not read the configuration file: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")  # TOML is UTF-8 by definition
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not valid UTF-8 ({exc.reason} at byte {exc.start}); "
                          "TOML files must be UTF-8") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def _has_table(path: str) -> bool:
    try:
        data = _read_toml(path)
    except ConfigError:
        return True  # let load_config report the problem instead of skipping the file
    return isinstance(data.get("tool"), dict) and "reprolint" in data["tool"]


def find_config(start: str) -> Optional[str]:
    """The nearest configuration file at or above ``start`` (a file or a folder)."""
    folder = os.path.abspath(start)
    if not os.path.isdir(folder):
        folder = os.path.dirname(folder)
    while True:
        for name in CONFIG_FILE_NAMES:
            candidate = os.path.join(folder, name)
            if os.path.isfile(candidate) and (name != "pyproject.toml" or _has_table(candidate)):
                return candidate
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def load_config(path: str) -> dict:
    """The validated options of one file, as Settings field -> value."""
    data = _read_toml(path)
    tool = data.get("tool")
    has_table = isinstance(tool, dict) and "reprolint" in tool
    if has_table:
        table, where = tool["reprolint"], "[tool.reprolint]"
    elif os.path.basename(path) == "pyproject.toml":
        raise ConfigError(f"{path}: no [tool.reprolint] table")
    else:  # reprolint.toml, or a file named by --config: the keys at the top level
        table, where = data, "the top level"
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: {where} must be a table")
    return _validated(table, path, f" in {where}")


def _validated(table: dict, source: str, where: str = "") -> dict:
    """``table``'s keys checked and converted, as Settings field -> value; ``source`` names where
    it came from in the error."""
    options = {}
    for key, value in table.items():
        if key not in KEYS:
            close = difflib.get_close_matches(key.replace("_", "-"), KEYS, n=1)
            hint = f"; did you mean `{close[0]}`?" if close else f"; known keys: {', '.join(KEYS)}"
            raise ConfigError(f"{source}: unknown key `{key}`{where}{hint}")
        field_name, validate = KEYS[key]
        try:
            options[field_name] = validate(value)
        except InvalidValue as exc:
            raise ConfigError(f"{source}: bad value for `{key}`: {exc}") from None
    return options


def is_override(text: str) -> bool:
    """``--config fix-seed=7`` (a setting) rather than ``--config ci.toml`` (a file): an ``=``
    and no file of that name, as ruff tells them apart."""
    return "=" in text and not os.path.exists(text)


def parse_override(text: str) -> dict:
    """``--config "KEY = VALUE"``: one configuration key in TOML, as it would be written in
    ``[tool.reprolint]``; validated like the file's keys. Returns Settings field -> value."""
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"--config {text!r}: not a TOML `KEY = VALUE` ({exc}); write strings in quotes, "
                          "e.g. --config 'ignore = [\"RPL301\"]'") from None
    return _validated(table, f"--config {text!r}")


# -- merging with the command line -------------------------------------------------------------
def _enabled_codes(layers) -> list:
    """Apply (select, extend_select, ignore) layers in order, ruff's way."""
    enabled = {rule.code for rule in ALL_RULES if rule.default}
    for select, extend_select, ignore in layers:
        if select:
            enabled = {rule.code for s in select for rule in expand_selector(s)}
        enabled |= {rule.code for s in extend_select for rule in expand_selector(s)}
        enabled -= {rule.code for s in ignore for rule in expand_selector(s)}
    return sorted(enabled)


def _selection(file_options: dict, cli: dict) -> dict:
    file_layer = tuple(file_options.get(key, ()) for key in ("select", "extend_select", "ignore"))
    cli_layer = tuple(cli.get(key) or () for key in ("select", "extend_select", "ignore"))
    if not any(file_layer):
        return {"select": cli_layer[0], "extend_select": cli_layer[1], "ignore": cli_layer[2]}
    codes = _enabled_codes([file_layer, cli_layer])
    # An empty select means "the defaults", so "nothing enabled" is spelled select ALL, ignore ALL.
    return {"select": tuple(codes) or ("ALL",), "extend_select": (), "ignore": () if codes else ("ALL",)}


def resolve_settings(paths=(), cli: Optional[dict] = None, config_path: Optional[str] = None,
                     isolated: bool = False, overrides: Optional[dict] = None) -> Settings:
    """The run's settings: the configuration file's values overridden by the command line's.

    ``cli`` maps Settings fields to values, None (or absent) meaning "not given". ``extend_*``
    values from the command line add to the file's. ``overrides`` (``--config KEY=VALUE``, parsed
    by ``parse_override``) replace the file's values, as if written there.
    """
    cli = {key: value for key, value in (cli or {}).items() if value is not None}
    if config_path is not None:
        if not os.path.isfile(config_path):
            raise ConfigError(f"{config_path}: --config names no such file")
        found = config_path
    elif isolated:
        found = None
    else:
        start = next((p for p in paths if p != "-"), os.curdir)
        found = find_config(start)
    file_options = {**(load_config(found) if found else {}), **(overrides or {})}
    settings = Settings(project_root=os.path.dirname(os.path.abspath(found)) if found else os.getcwd(),
                        config_path=found or "")
    merged = {key: value for key, value in file_options.items()
              if key not in ("select", "ignore", "extend_select", "extend_include")}
    merged.update(_selection(file_options, cli))
    include = tuple(file_options.get("include", settings.include))
    include += tuple(file_options.get("extend_include", ())) + tuple(cli.pop("extend_include", ()))
    merged["include"] = tuple(dict.fromkeys(include))
    for key, value in cli.items():
        if key in ("select", "ignore", "extend_select"):
            continue
        if key == "extend_exclude":
            value = tuple(file_options.get("extend_exclude", ())) + tuple(value)
        merged[key] = value
    return replace(settings, **merged)


def validate_cli_selectors(cli: dict) -> None:
    """Command-line selectors are checked before any file is read."""
    for key in ("select", "ignore", "extend_select"):
        for selector in cli.get(key) or ():
            expand_selector(selector)


def validated_like_the_config(key: str):
    """A click callback checking an option's value as the configuration key ``key`` is checked,
    so ``--fix-seed -1`` fails on the command line as ``fix-seed = -1`` fails in the file."""

    def callback(ctx, param, value):
        if value is None:
            return None
        try:
            return KEYS[key][1](value)
        except InvalidValue as exc:
            import click

            raise click.BadParameter(str(exc)) from None

    return callback
