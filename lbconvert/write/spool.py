"""The file-writing side of :class:`lbconvert.write.base.SmallFiles`, run as its
own process: ``python -I -S spool.py DIRECTORY``.

Reads records from standard input until it ends, each one
``<u32 name length><u32 data length><name, UTF-8><data>`` (little-endian),
and writes ``DIRECTORY/<name>`` with the data (created or truncated, mode
0o666 minus the umask).  On the first error it prints one line to standard
error and exits with status 1.  Standard library only, and nothing imported
from lbconvert: it starts in a few milliseconds.
"""

import os
import struct
import sys

HEADER = struct.Struct("<II")
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)


def write_all(fd: int, data: bytes) -> None:
    done = os.write(fd, data)
    while done < len(data):  # a short write: rare, but allowed
        done += os.write(fd, data[done:])


def main(directory: str) -> int:
    if os.open in os.supports_dir_fd and hasattr(os, "O_DIRECTORY"):
        where, prefix = os.open(directory, os.O_RDONLY | os.O_DIRECTORY), ""
    else:
        where, prefix = None, directory + os.sep
    source = sys.stdin.buffer
    name = ""
    try:
        while head := source.read(HEADER.size):
            name_size, data_size = HEADER.unpack(head)
            name = source.read(name_size).decode("utf-8")
            data = source.read(data_size)
            fd = os.open(prefix + name, _CREATE, 0o666, dir_fd=where)
            try:
                write_all(fd, data)
            finally:
                os.close(fd)
    except (OSError, struct.error, UnicodeDecodeError) as exc:
        print(f"cannot write {os.path.join(directory, name)}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
