"""The file-writing side of :class:`lbconvert.write.small_files.SmallFiles`, run as its
own process: ``python -I -S spool.py DIRECTORY PARENT_PID``.

Reads records from standard input, each one
``<u32 name length><u32 data length><name, UTF-8><data>`` (little-endian),
and writes ``DIRECTORY/<name>`` with the data (created or truncated, mode
0o666 minus the umask), until the end record (name length 0xFFFFFFFF).  On
the first error it prints one line to standard error and exits with status 1:
``ERRNO<tab>STRERROR<tab>PATH`` for a file system error, else the message.

It never outlives its writer: when the parent process is gone (its pid is
no longer our parent's, checked before every file and five times a second
by a watchdog thread, which also covers a read that never returns because
a forked child still holds the pipe), or the input ends without the end
record or in the middle of a record, it exits with status 3 and writes
nothing more.  (``prctl(PR_SET_PDEATHSIG)`` is not used: it fires when the
*thread* that started the process ends, which a writer driven from a pool of
threads may do.)  Standard library only, and nothing imported from
lbconvert: it starts in a few milliseconds.
"""

import os
import struct
import sys
import threading
import time

HEADER = struct.Struct("<II")
END = 0xFFFFFFFF
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)
ORPHANED = 3  # exit status: the writer died or the input was cut


def write_all(fd: int, data: bytes) -> None:
    done = os.write(fd, data)
    while done < len(data):  # a short write: rare, but allowed
        done += os.write(fd, data[done:])


def watch(parent: int, period: float = 0.2) -> None:
    """Exit the whole process as soon as ``parent`` is no longer our parent."""
    while os.getppid() == parent:
        time.sleep(period)
    os._exit(ORPHANED)


def main(directory: str, parent: int) -> int:
    if os.getppid() != parent:
        return ORPHANED
    threading.Thread(target=watch, args=(parent,), daemon=True).start()
    if os.open in os.supports_dir_fd and hasattr(os, "O_DIRECTORY"):
        where, prefix = os.open(directory, os.O_RDONLY | os.O_DIRECTORY), ""
    else:
        where, prefix = None, directory + os.sep
    source = sys.stdin.buffer
    name = ""
    try:
        while True:
            head = source.read(HEADER.size)
            if len(head) < HEADER.size:
                return ORPHANED  # the input ended without the end record
            name_size, data_size = HEADER.unpack(head)
            if name_size == END:
                return 0
            encoded = source.read(name_size)
            data = source.read(data_size)
            if len(encoded) < name_size or len(data) < data_size or os.getppid() != parent:
                return ORPHANED
            name = encoded.decode("utf-8")
            fd = os.open(prefix + name, _CREATE, 0o666, dir_fd=where)
            try:
                write_all(fd, data)
            finally:
                os.close(fd)
    except (OSError, UnicodeDecodeError) as exc:
        path = os.path.join(directory, name)
        if isinstance(exc, OSError) and exc.errno is not None:  # for SmallFiles to raise again
            line = f"{exc.errno}\t{exc.strerror}\t{path}"
        else:
            line = f"cannot write {path}: {exc}"
        try:
            print(line, file=sys.stderr)
        except OSError:  # nobody is reading any more
            pass
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2])))
