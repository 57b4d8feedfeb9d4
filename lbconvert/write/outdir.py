"""The output directory: where a writer's dataset grows and how it gets to ``OUT``.

The guarantees (see README, "Output is atomic"):

* **Old or new.** At every instant ``OUT`` holds the old dataset or the
  complete new one.  The dataset grows in a temporary directory beside ``OUT``
  (same file system, so renames are atomic).  Without ``overwrite`` it is
  renamed onto ``OUT``, which the kernel allows only while ``OUT`` is missing
  or empty: a dataset another run put there since the start is never
  replaced (the check *is* the rename, not a test before it).  With
  ``overwrite`` the two directories are swapped in one system call
  (``renameat2(RENAME_EXCHANGE)``, Linux); where that is not available,
  ``OUT`` is moved aside, the new one renamed in, and on failure the old
  one renamed back.
* **Nothing left behind.** Every failure removes what this run made (the
  temporary directory, the old dataset once replaced, parent directories it
  created), or says in the error where it kept something.
* **Stale directories are cleaned.** Temporary directories carry their
  owner in their name: ``.OUT.<machine>-<pid>-<start>-<random>.partial``
  (``.old`` for an old dataset moved aside), where ``machine`` hashes the
  boot id and pid namespace and ``start`` is the process start time, so a
  reused pid is not mistaken for the owner.  A later run into the same
  ``OUT`` removes those whose owner is provably gone: same machine and boot,
  and no process with that pid and start time.  An old dataset whose owner
  died between the two renames of the fallback is renamed back to ``OUT``
  when ``OUT`` is missing.  Directories of another machine, of an earlier
  boot, or without an owner in their name are left alone (see
  :mod:`lbconvert.write.partials`).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import secrets
import sys
from pathlib import Path
from typing import Callable, Iterable, Optional

from ..errors import OutputError
from .partials import OLD, PARTIAL, name_stem, owner_token, remove_stale, remove_tree

__all__ = [
    "Staging",
    "WRITE_ERRORS",
    "resolve_target",
    "check_target",
    "check_inputs",
]


#: Error numbers that only writing produces.
WRITE_ERRORS = frozenset(
    getattr(errno, name) for name in ("ENOSPC", "EDQUOT", "EFBIG", "EROFS") if hasattr(errno, name)
)


# --- which directory ---


def resolve_target(out: Path) -> Path:
    """``out`` as the directory to create or replace.

    A symbolic link to a directory is followed (the dataset replaces the
    directory it points to; the link stays); a link to nothing or to a file
    is refused.  A path ending in ``.`` or ``..`` is resolved to the
    directory it names.  The current directory, or one containing it, is
    refused: the dataset replaces the directory as a whole, and a shell
    sitting in it would be left in a deleted directory.
    """
    if out.is_symlink():
        real = Path(os.path.realpath(out))
        if not real.is_dir():
            what = "a file" if real.exists() else "nothing"
            raise OutputError(
                f"{out} is a symbolic link to {os.readlink(out)}, which is "
                f"{what}; give a directory (or a link to one)"
            )
        target = real
    elif out.name in ("", ".", ".."):
        target = Path(os.path.realpath(out))
    else:
        target = out
    if _holds(target, _cwd()):
        raise OutputError(
            f"-o {out}: the output directory cannot be the current directory "
            f"or contain it (the dataset replaces it as a whole); name a "
            f"directory, e.g. -o {Path(out, 'dataset')}"
        )
    return target


def check_inputs(target: Path, inputs: "Iterable[object]") -> None:
    """OutputError when an input (the export, the images or masks directory)
    lies inside an existing ``target``: replacing it would delete the input."""
    if not target.is_dir():
        return
    for path in inputs:
        if isinstance(path, (str, os.PathLike)) and _holds(target, Path(os.path.realpath(path))):
            raise OutputError(
                f"{os.fspath(path)} is inside {target}, which the dataset "
                f"replaces; write the dataset elsewhere"
            )


def _cwd() -> Optional[Path]:
    try:
        return Path(os.path.realpath(os.getcwd()))
    except OSError:  # the current directory was removed
        return None


def _holds(directory: Path, path: Optional[Path]) -> bool:
    """Whether ``path`` (resolved) is ``directory`` or inside it."""
    if path is None:
        return False
    real = Path(os.path.realpath(directory))
    return path == real or real in path.parents


def check_target(target: Path, overwrite: bool) -> None:
    """OutputError unless ``target`` is missing, an empty directory, or ``overwrite``."""
    if not target.exists():
        if target.is_symlink():
            raise OutputError(f"{target} is a symbolic link to nothing; give a directory")
        return
    if not target.is_dir():
        raise OutputError(f"{target} exists and is not a directory")
    if not overwrite and any(target.iterdir()):
        raise OutputError(f"{target} is not empty; pass --overwrite to replace it")


# --- renames ---

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_UNSUPPORTED = {
    errno.ENOSYS,
    errno.EINVAL,
    getattr(errno, "ENOTSUP", errno.EINVAL),
    getattr(errno, "EOPNOTSUPP", errno.EINVAL),
}


def _renameat2() -> "Optional[Callable[..., int]]":
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # no C library handle, or glibc < 2.28
        return None
    function.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    function.restype = ctypes.c_int
    return function


_RENAMEAT2 = _renameat2()


class ExchangeUnsupported(Exception):
    """Neither the platform nor the file system can swap two directories."""


def exchange(first: Path, second: Path) -> None:
    """Swap two directories atomically (``renameat2(RENAME_EXCHANGE)``);
    ExchangeUnsupported where that does not exist."""
    if _RENAMEAT2 is None:
        raise ExchangeUnsupported()
    if (
        _RENAMEAT2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE)
        != 0
    ):
        code = ctypes.get_errno()
        if code in _UNSUPPORTED:
            raise ExchangeUnsupported()
        raise OSError(code, os.strerror(code), os.fspath(first), None, os.fspath(second))


# --- the temporary directory ---


class _Taken(Exception):
    """OUT holds something that is not ours to replace."""


class _Vanished(Exception):
    """OUT disappeared while we were replacing it: try again."""


class Staging:
    """A writer's temporary directory beside its target, and the commit.

    :attr:`path` is where the dataset is written; :meth:`commit` moves it to
    :attr:`target`, :meth:`discard` throws it away.  Each is safe to call
    whatever failed before.
    """

    def __init__(self, out: "str | os.PathLike[str]", overwrite: bool) -> None:
        self.target = resolve_target(Path(out))
        self.overwrite = overwrite
        remove_stale(self.target)
        check_target(self.target, overwrite)
        self._made: list[Path] = []  # parent directories this run created, outermost first
        self.path: Optional[Path] = None
        self._temporary: Optional[Path] = None  # self.path, kept after discard for errors

    def open(self) -> Path:
        """Make the temporary directory (and missing parents of the target): :attr:`path`."""
        try:
            self._make_parents(self.target.parent)
            self.path = self._temporary = self._make_temporary()
            return self.path
        except OSError as exc:
            self.discard()
            raise OutputError(
                f"cannot make a temporary directory beside {self.target}: {exc.strerror or exc}"
            ) from exc
        except BaseException:
            self.discard()
            raise

    def _make_parents(self, parent: Path) -> None:
        missing = []
        while not parent.is_dir():
            missing.append(parent)
            if parent.parent == parent:
                break
            parent = parent.parent
        for directory in reversed(missing):
            try:
                directory.mkdir()
            except FileExistsError:
                if not directory.is_dir():
                    raise OutputError(f"{directory} exists and is not a directory") from None
                continue
            self._made.append(directory)

    def _make_temporary(self) -> Path:
        base = f".{name_stem(self.target.name)}.{owner_token()}-"
        for _ in range(100):
            path = self.target.parent / f"{base}{secrets.token_hex(4)}{PARTIAL}"
            try:
                path.mkdir(0o700)
            except FileExistsError:
                continue
            return path
        raise OutputError(f"cannot make a temporary directory beside {self.target}")

    def discard(self) -> None:
        """Remove everything this run made (never raises OSError)."""
        if self.path is not None:
            remove_tree(self.path)
            self.path = None
        for directory in reversed(self._made):
            with contextlib.suppress(OSError):
                directory.rmdir()  # only while empty: another run may use it now
        self._made = []

    # --- errors while writing ---

    def failed_writing(self, exc: OSError) -> bool:
        """Whether ``exc`` came from writing the dataset (a full disk, a file
        of the temporary directory), not from reading the export or images."""
        if exc.errno in WRITE_ERRORS:
            return True
        places = [f"{place}{os.sep}" for place in (self._temporary, self.target) if place]
        return any(
            isinstance(name, str) and name.startswith(place)
            for name in (exc.filename, exc.filename2)
            for place in places
        )

    def output_error(self, exc: OSError) -> OutputError:
        """A file system error while writing, as one line naming the target."""
        what = exc.strerror or str(exc)
        if exc.errno in WRITE_ERRORS:
            what += f" (on the file system of {self.target.parent})"
        return OutputError(
            f"cannot write the dataset for {self.target}: {what}; nothing was "
            f"written, {self.target} is as it was"
        )

    # --- the commit ---

    def commit(self) -> Path:
        """Move the dataset to the target; returns the target.  On failure
        the target is as it was, nothing of this run is left (or the
        OutputError says where the finished dataset was kept)."""
        staged = self.path
        if staged is None:
            raise OutputError(f"{self.target}: the dataset was already moved or discarded")
        try:
            self._publish_mode(staged)
            for _ in range(10):  # only a target that keeps vanishing repeats
                try:
                    self._place(staged)
                except _Vanished:
                    continue
                break
            else:
                raise OutputError(
                    f"{self.target} keeps appearing and disappearing; nothing was written"
                )
        except _Taken as taken:
            raise self._keep(staged, str(taken)) from None
        except OSError as exc:
            self.discard()
            hint = (
                " (a mount point cannot be replaced: write into a directory inside it)"
                if exc.errno in (errno.EBUSY, errno.EXDEV)
                else ""
            )
            raise OutputError(
                f"cannot move the dataset into {self.target}: "
                f"{exc.strerror or exc}{hint}; nothing was written, "
                f"{self.target} is as it was"
            ) from exc
        except BaseException:
            self.discard()
            raise
        self.path = None
        self._made = []
        return self.target

    @staticmethod
    def _publish_mode(staged: Path) -> None:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(staged, 0o777 & ~umask)  # made private while it was being written

    def _place(self, staged: Path) -> None:
        target = self.target
        try:
            os.rename(staged, target)  # only onto a missing or empty directory
            return
        except OSError as exc:
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR, errno.EISDIR):
                raise
        if os.path.islink(target) or not os.path.isdir(target):
            raise _Taken(f"{target} was replaced by something that is not a directory meanwhile")
        try:
            os.rmdir(target)  # empty: a platform that renames onto no directory (Windows)
        except OSError:
            pass
        else:
            raise _Vanished()
        if not self.overwrite:
            raise _Taken(f"{target} was filled by another run meanwhile")
        self._replace(staged, target)

    def _replace(self, staged: Path, target: Path) -> None:
        """Put ``staged`` at the non-empty directory ``target``, old dataset removed."""
        try:
            exchange(staged, target)
        except ExchangeUnsupported:
            self._replace_in_two_renames(staged, target)
            return
        except FileNotFoundError:
            raise _Vanished() from None
        remove_tree(staged)  # the old dataset, now under the temporary name

    def _replace_in_two_renames(self, staged: Path, target: Path) -> None:
        aside = staged.with_name(staged.name[: -len(PARTIAL)] + OLD)
        try:
            os.rename(target, aside)
        except FileNotFoundError:
            raise _Vanished() from None
        try:
            os.rename(staged, target)
        except BaseException as exc:
            try:
                os.rename(aside, target)
            except OSError:
                raise OutputError(
                    f"cannot move the dataset into {target} ({exc}), nor the old one back: "
                    f"the old dataset is at {aside} (the next run into {target} renames it "
                    f"back)"
                ) from exc
            raise
        remove_tree(aside)

    def _keep(self, staged: Path, why: str) -> OutputError:
        """Rename the finished dataset to a name no cleanup touches; the error names it."""
        target = self.target
        for number in range(100):
            suffix = f"-{number}" if number else ""
            kept = target.with_name(f"{name_stem(target.name)}.lbconvert-{os.getpid()}{suffix}")
            if os.path.lexists(kept):
                continue
            try:
                os.rename(staged, kept)
            except OSError:
                continue
            self.path = None
            return OutputError(
                f"{why}; this run's dataset was kept at {kept} "
                f"(pass --overwrite to replace {target})"
            )
        self.path = None
        return OutputError(
            f"{why}; this run's dataset was left at {staged} (a later run into "
            f"{target} removes it once this process has ended)"
        )
