"""What ``preuves check`` is given, as the files it checks: a folder stands for the files under it.

A folder is walked in name order, sub-folders included; hidden files and folders (a name starting with
``.``) and the files desktops leave behind (``Thumbs.db``, ``.DS_Store``, ``desktop.ini``, as a dossier
scan skips them) are left out; a symbolic link is followed only when it leads inside the folder walked
(never out of the tree), and a folder is walked once however many links lead to it. Every path that
cannot be checked is said, with why, before anything is checked (:func:`expand`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Iterator

# The files desktops write into folders (validator_core.dossier skips the same ones in a dossier).
DESKTOP_FILES = frozenset({".ds_store", "thumbs.db", "desktop.ini"})

PROBLEMS = {
    "fr": {"header": "chemins invalides :", "missing": "{path} : fichier ou dossier introuvable",
           "special": "{path} : ce n'est ni un fichier ni un dossier",
           "unreadable": "{path} : lecture impossible (droits)",
           "empty": "{path} : dossier vide, aucun fichier à vérifier (fichiers et dossiers cachés ignorés)"},
    "en": {"header": "invalid paths:", "missing": "{path}: no such file or folder",
           "special": "{path}: neither a file nor a folder",
           "unreadable": "{path}: cannot be read (permissions)",
           "empty": "{path}: empty folder, no file to check (hidden files and folders are skipped)"},
}


class Target:
    """A file to check: ``path`` as shown (the argument, or a folder argument joined with the file's
    place under it), and for a file found in a folder, that folder and the file's place under it."""

    __slots__ = ("path", "folder", "relative")  # a plain class: a one-file check imports this module too

    def __init__(self, path: str, folder: str | None = None, relative: str | None = None) -> None:
        self.path, self.folder, self.relative = path, folder, relative

    def __repr__(self) -> str:
        return f"Target({self.path!r}, folder={self.folder!r}, relative={self.relative!r})"


def expand(paths: Iterable[str], lang: str = "fr") -> tuple[list[Target], list[str]]:
    """The files to check, in the order given (a folder's files in name order), and the problems."""
    words = PROBLEMS["en" if lang == "en" else "fr"]
    targets: list[Target] = []
    problems: list[str] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            problems.append(words["missing"].format(path=raw))
        elif path.is_dir():
            if not os.access(path, os.R_OK | os.X_OK):
                problems.append(words["unreadable"].format(path=raw))
                continue
            found = [Target(os.path.join(raw, rel), raw, rel) for rel in walk(path)]
            if not found:
                problems.append(words["empty"].format(path=raw))
            problems += [words["unreadable"].format(path=t.path) for t in found if not os.access(t.path, os.R_OK)]
            targets += found
        elif not path.is_file():
            problems.append(words["special"].format(path=raw))
        elif not os.access(path, os.R_OK):
            problems.append(words["unreadable"].format(path=raw))
        else:
            targets.append(Target(raw))
    return targets, problems


def walk(root: Path) -> Iterator[str]:
    """The files under ``root`` (``/``-separated, relative to it), depth first in name order."""
    top = root.resolve()
    seen = {top}

    def inside(target: Path) -> bool:
        return target == top or top in target.parents

    def visit(folder: Path, relative: str) -> Iterator[str]:
        try:
            children = sorted(folder.iterdir(), key=lambda p: p.name)
        except OSError:  # a sub-folder we may not list: the files we can reach are still checked
            return
        for child in children:
            if child.name.startswith(".") or child.name.lower() in DESKTOP_FILES:
                continue
            name = f"{relative}{child.name}"
            if child.is_symlink():
                try:
                    target = child.resolve(strict=True)
                except (OSError, RuntimeError):  # dangling or looping link
                    continue
                if not inside(target):
                    continue
            else:
                target = child
            if child.is_dir():
                real = target.resolve()
                if real not in seen:
                    seen.add(real)
                    yield from visit(child, name + "/")
            elif child.is_file():
                yield name

    yield from visit(root, "")
