"""The newest snapshot committed from this machine, shared by its processes through eight bytes of mapped memory.

A writer raises it after its commit and before it answers; every worker reads it on each request (one read of
mapped memory) and opens the new snapshot as soon as it moves, instead of waiting for its periodic check. So a
client that got a 201 reads its own write from whichever worker of the server answers next.
"""

from __future__ import annotations

import fcntl
import mmap
import os
import struct
from pathlib import Path

SIZE = struct.calcsize("<q")


class Beacon:
    @classmethod
    def at(cls, path: Path) -> Beacon | None:
        """The beacon at ``path``, or None where it cannot be made (a read-only folder: workers then rely on their
        periodic check alone)."""
        try:
            return cls(path)
        except OSError:
            return None

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        if os.fstat(self.fd).st_size < SIZE:
            os.ftruncate(self.fd, SIZE)
        self.map = mmap.mmap(self.fd, SIZE)

    def read(self) -> int:
        return int(struct.unpack_from("<q", self.map)[0])

    def raise_to(self, snapshot: int) -> None:
        """Make the beacon at least ``snapshot`` (two writers on one machine: the higher id stays)."""
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        try:
            if self.read() < snapshot:
                struct.pack_into("<q", self.map, 0, snapshot)
        finally:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
