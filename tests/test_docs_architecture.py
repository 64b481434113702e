"""README's Architecture section names every module and package of the code folders, and nothing else.

The section holds a tree: a code folder at the start of a line (``validator_core/``, ``plugins/``,
``api/``), then indented lines describing what lives there. Each module (``name.py``) and package
(``name/``) directly in the folder must be named in that folder's lines; each ``….py`` named there
must exist. Adding, moving or renaming a module without saying so in the README fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CODE_FOLDERS = ("validator_core", "plugins", "api")


def architecture_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"(?ms)^## Architecture\n(.*?)(?=^## )", text)
    assert match, "README.md has no « ## Architecture » section"
    return match.group(1)


def folder_blocks(section: str) -> dict[str, str]:
    """The lines of each code folder: from ``folder/`` at a line start to the next unindented line."""
    blocks: dict[str, list[str]] = {}
    current: str | None = None
    for line in section.splitlines():
        if line and not line[0].isspace():
            head = line.split()[0]
            current = head.rstrip("/") if head.endswith("/") and head.rstrip("/") in CODE_FOLDERS else None
            if current is not None:
                blocks[current] = []
        elif current is not None:
            blocks[current].append(line)
    return {folder: "\n".join(lines) for folder, lines in blocks.items()}


def code_entries(folder: str) -> list[str]:
    """Modules (``x.py``, not ``__init__.py``) and packages (``x/`` with an ``__init__.py``) of a folder."""
    entries = []
    for path in sorted((ROOT / folder).iterdir()):
        if path.is_file() and path.suffix == ".py" and path.name != "__init__.py":
            entries.append(path.name)
        elif path.is_dir() and (path / "__init__.py").is_file():
            entries.append(path.name + "/")
    return entries


def named(entry: str, block: str) -> bool:
    return re.search(rf"(?<![\w./]){re.escape(entry)}(?![\w])", block) is not None


def test_the_section_has_a_block_per_code_folder():
    assert sorted(folder_blocks(architecture_section())) == sorted(CODE_FOLDERS)


def test_every_module_and_package_is_named_in_its_folder_block():
    blocks = folder_blocks(architecture_section())
    missing = [f"{folder}/{entry}" for folder in CODE_FOLDERS for entry in code_entries(folder)
               if not named(entry, blocks.get(folder, ""))]
    assert missing == [], f"README.md « Architecture » does not say what these are: {missing}"


def test_every_module_named_in_the_section_exists():
    stale = [f"{folder}/{name}" for folder, block in folder_blocks(architecture_section()).items()
             for name in re.findall(r"(?<![\w./])([\w/]+\.py)\b", block) if not (ROOT / folder / name).is_file()]
    assert stale == [], f"README.md « Architecture » names modules that do not exist: {stale}"
