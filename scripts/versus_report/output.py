"""Writing the report's files all or none. A folder that cannot be written, or a disk that fills
half way, must leave neither a half-written report.html nor plots that do not match the report
beside them: each file goes to a temporary name in its own folder, and only when every one is
whole are they renamed into place. On failure the temporary files, and the folders made for them,
are removed; an earlier report there stays as it was."""

import contextlib
import os


class WriteError(Exception):
    """path could not be written, for reason (the system's words); nothing of the report was left."""

    def __init__(self, path, reason):
        super().__init__(f"{path}: {reason}")
        self.path, self.reason = path, reason


def write_all(folder, files):
    """files: {path relative to folder: bytes}. Raises WriteError naming the file (never its
    temporary name) that could not be written."""
    made = []    # folders this call created, innermost last
    staged = []  # (temporary path, final path)
    try:
        for relative, content in files.items():
            final = os.path.join(folder, relative)
            _make_folders(os.path.dirname(final), made)
            staged.append((_stage(final, content), final))
        for temporary, final in staged:
            _as_final(final, os.replace, temporary, final)
    except OSError as e:
        _undo(staged, made)
        raise WriteError(e.filename or folder, e.strerror or str(e)) from e
    except BaseException:
        _undo(staged, made)
        raise


def _undo(staged, made):
    """Removes the temporary files and the folders this call made (emptied by that)."""
    for temporary, _ in staged:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
    for path in reversed(made):
        with contextlib.suppress(OSError):  # not empty: a rename went through, keep what it holds
            os.rmdir(path)


def _make_folders(path, made):
    """Creates path and its missing parents, adding each to made as it is created."""
    missing = []
    # Stops at whatever exists: a file where a folder should be then fails as "Not a directory".
    while path and not os.path.lexists(path):
        missing.append(path)
        path = os.path.dirname(path)
    missing.reverse()
    for p in missing:
        os.mkdir(p)
        made.append(p)


def _stage(final, content):
    """Writes content under a temporary name beside final (so the rename stays in one file system,
    and the file gets the umask's mode as the final one would); removes it if the write fails."""
    temporary = os.path.join(os.path.dirname(final), f".{os.path.basename(final)}.{os.getpid()}.partial")
    try:
        _as_final(final, _write, temporary, content)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return temporary


def _write(path, content):
    with open(path, "wb") as f:
        f.write(content)


def _as_final(final, action, *args):
    """action(*args), its OSError naming final: the temporary name means nothing to a reader."""
    try:
        action(*args)
    except OSError as e:
        raise OSError(e.errno, e.strerror, final) from e
