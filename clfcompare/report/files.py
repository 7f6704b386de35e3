"""Writing into an output folder without following symbolic links found in it.

A study or a benchmark writes its store, ``report.md``, ``report.html``, ``tables.tex`` and its
figures into an output folder. A symbolic link already present there under one of those names
(left by someone else in a shared folder, or planted) would redirect the write to wherever it
points, outside the folder. The writers refuse such a link with an
:class:`~clfcompare._checks.InputError` naming it, before anything is written
(:func:`check_no_links`), and open every file they write with ``O_NOFOLLOW``
(:func:`open_new`), so a link made in between is refused too. The output folder itself may
be a link (that is where the user chose to write).
"""

from __future__ import annotations

import os
from pathlib import Path

from clfcompare._checks import InputError

__all__ = ["check_no_links", "open_new"]

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def _link_error(path):
    try:
        target = f" (to {os.readlink(path)})"
    except OSError:
        target = ""
    return InputError(
        f"{path} is a symbolic link{target}: clfcompare does not write through a link in its "
        "output folder; remove the link or give another output folder"
    )


def check_no_links(folder, names):
    """Refuse a symbolic link among ``folder / name`` (and the folders between) for ``names``.

    Parameters
    ----------
    folder : str or Path
        The output folder (it may itself be a link).
    names : iterable of str or Path
        Paths relative to ``folder``; what is missing is fine.

    Raises
    ------
    InputError
        One of them, or a folder between ``folder`` and it, is a symbolic link (named, with
        what it points to).
    """
    folder = Path(folder)
    for name in names:
        path = folder
        for part in Path(name).parts:
            path = path / part
            if path.is_symlink():
                raise _link_error(path)


def open_new(path, mode="w"):
    """Open ``path`` for writing (created or truncated), refusing a symbolic link.

    Parameters
    ----------
    path : str or Path
    mode : {"w", "wb"}
        Text (UTF-8) or binary.

    Returns
    -------
    file object

    Raises
    ------
    InputError
        ``path`` is a symbolic link (checked by the operating system with ``O_NOFOLLOW``
        where it has one, else just before opening).
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"mode must be 'w' or 'wb', got {mode!r}")
    path = Path(path)
    if path.is_symlink():
        raise _link_error(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _NOFOLLOW | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags, 0o666)
    except OSError:
        if path.is_symlink():  # made between the check and the open: ELOOP
            raise _link_error(path) from None
        raise
    if mode == "wb":
        return os.fdopen(fd, "wb")
    return os.fdopen(fd, "w", encoding="utf-8")
