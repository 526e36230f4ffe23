"""What a reloading source compares to learn that a file changed: the file's (mtime, inode,
size) and a digest of its bytes.

(mtime, inode, size) alone misses a rewrite in place, of the same size, within one tick of the
file system's clock (ext4 stamps files from the kernel's coarse clock, a few milliseconds;
some file systems keep whole seconds): a Namespace relabelled from `privileged` to
`restricted`, or a certificate renewed in place, would be kept old until the next change.
The digest (BLAKE2b of the first `limit` + 1 bytes, as much as a load reads) sees it: about a
millisecond a poll for a file of a few MB."""

from __future__ import annotations

import hashlib
import os
import stat

__all__ = ["MISSING", "Stamp", "file_stamp"]

Stamp = tuple[int, int, int, bytes]
MISSING: Stamp = (-1, -1, -1, b"")  # a file that cannot be opened
_CHUNK = 1 << 20


def file_stamp(path: str, limit: int) -> Stamp:
    """(mtime ns, inode, size, digest) of the file at `path`, following symlinks; MISSING when
    it cannot be opened or read. A file that is not a regular one (a FIFO) is not read: its
    digest is empty."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return MISSING
    try:
        st = os.fstat(fd)
        digest = b""
        if stat.S_ISREG(st.st_mode):
            hasher = hashlib.blake2b(digest_size=16)
            left = limit + 1
            while left > 0:
                chunk = os.read(fd, min(left, _CHUNK))
                if not chunk:
                    break
                hasher.update(chunk)
                left -= len(chunk)
            digest = hasher.digest()
        return (st.st_mtime_ns, st.st_ino, st.st_size, digest)
    except OSError:
        return MISSING
    finally:
        os.close(fd)
