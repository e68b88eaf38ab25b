"""Distinct active users over a sliding window of days, in bounded state; event id hashes.

`ActiveUsers` keeps, for each user, the newest day they were active: exactly (a 32-bit hash per
user) up to EXACT_LIMIT users, then as a sliding-window HyperLogLog of 2**P registers that keeps,
per register, the newest day of each rank that is not outranked by a newer or as new one (a
short staircase of (day, rank) pairs). The distinct users active on or after any day within the
horizon are then counted exactly (small accounts) or estimated within about 1.6% (one standard
error, 1.04 / sqrt(2**P)) with Ertl's improved estimator, which needs no bias tables.

Both forms are the Pareto frontier of the (day, user) pairs added, so adding the same pairs in
any order gives the same sketch; the exact form becomes the HyperLogLog the first time it holds
more than EXACT_LIMIT users (after pruning), and stays one.
"""

from __future__ import annotations

import base64
import hashlib
import math
import struct
import sys
import zlib
from array import array
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

P = 12
REGISTERS = 1 << P
Q = 32 - P  # hash bits left for the rank: ranks are 1..Q + 1
RANK_BITS = (1 << Q) - 1
EXACT_LIMIT = 128
ALPHA_INF = 1 / (2 * math.log(2))
LEGACY_BITS = 128
"""The earlier per-day sketch: 128-bit linear-counting bitmaps (a set bit stands for one user)."""


_DAYS: dict[int, int] = {}
"""One int object per day for every staircase (a large account holds thousands of pairs)."""


def user_hash(user_id: str) -> int:
    """A user's 32-bit hash: its top P bits pick a register, the rest give the rank."""
    return int.from_bytes(hashlib.blake2b(user_id.encode(), digest_size=4).digest(), "big")


def id_hash(event_id: str) -> str:
    """A short, stable hash of an event id for the dedupe window."""
    return hashlib.blake2b(event_id.encode(), digest_size=4).hexdigest()


def _rank(hashed: int) -> int:
    return Q - (hashed & RANK_BITS).bit_length() + 1


def _add_pair(stair: list[int], day: int, rank: int) -> bool:
    """Add (day, rank) to a register's staircase ([day, rank, ...], newest day first, ranks
    rising as days get older) unless a pair as new and as high is there; whether it changed."""
    i, n = 0, len(stair)
    while i < n and stair[i] > day:
        if stair[i + 1] >= rank:
            return False
        i += 2
    if i < n and stair[i] == day and stair[i + 1] >= rank:
        return False
    end = i
    while end < n and stair[end + 1] <= rank:
        end += 2
    stair[i:end] = (_DAYS.setdefault(day, day), rank)
    return True


def _rank_since(stair: list[int], first_day: int) -> int:
    """A register's rank over the days from `first_day` on (0: no user then)."""
    rank = 0
    for i in range(0, len(stair), 2):
        if stair[i] < first_day:
            break
        rank = stair[i + 1]
    return rank


def _sigma(x: float) -> float:
    if x == 1.0:
        return math.inf
    y, z = 1.0, x
    while True:
        x *= x
        previous = z
        z += x * y
        y += y
        if z == previous:
            return z


def _tau(x: float) -> float:
    if x in (0.0, 1.0):
        return 0.0
    y, z = 1.0, 1.0 - x
    while True:
        x = math.sqrt(x)
        previous = z
        y *= 0.5
        z -= (1.0 - x) ** 2 * y
        if z == previous:
            return z / 3


def estimate(histogram: list[int]) -> float:
    """Distinct users behind registers whose ranks have `histogram` (count per rank 0..Q + 1),
    by Ertl's improved raw estimator ("New cardinality estimation algorithms for HyperLogLog
    sketches", 2017): unbiased from a handful of users up, with no bias tables."""
    m = REGISTERS
    z = m * _tau(1.0 - histogram[Q + 1] / m)
    for rank in range(Q, 0, -1):
        z = 0.5 * (z + histogram[rank])
    z += m * _sigma(histogram[0] / m)
    return ALPHA_INF * m * m / z


@dataclass
class ActiveUsers:
    """The newest day each user was active: exact up to EXACT_LIMIT users, then a sliding-window
    HyperLogLog."""

    seen: dict[int, int] = field(default_factory=dict)  # user hash -> newest day (exact form)
    registers: list[list[int]] | None = None  # per register [day, rank, ...] (HyperLogLog form)
    # derived, never stored: the counts per first day and the encoded form, until a change, and
    # the histogram of the registers' ranks since the first day last counted, kept up to date
    counted: dict[int, tuple[int, bool]] = field(default_factory=dict, repr=False, compare=False)
    encoded: str | None = field(default=None, repr=False, compare=False)
    window: tuple[int, list[int]] | None = field(default=None, repr=False, compare=False)

    def add(self, hashed: int, day: int) -> None:
        """Note that the user with hash `hashed` was active on `day`."""
        if self.registers is not None:
            stair = self.registers[hashed >> Q]
            before = _rank_since(stair, self.window[0]) if self.window else 0
            if not _add_pair(stair, day, _rank(hashed)):
                return
            self.encoded = None
            if self.window is None:
                self.counted.clear()
                return
            first_day, histogram = self.window
            after = _rank_since(stair, first_day)
            kept = self.counted.get(first_day)
            self.counted.clear()
            if after != before:
                histogram[before] -= 1
                histogram[after] += 1
            elif kept is not None:  # the window's count holds; counts of other days may not
                self.counted[first_day] = kept
            return
        if self.seen.get(hashed, day - 1) < day:
            self.seen[hashed] = day
            self._changed()
            if len(self.seen) > EXACT_LIMIT:
                self._to_registers()

    def _changed(self) -> None:
        self.counted.clear()
        self.encoded = None

    def _to_registers(self) -> None:
        self.registers = [[] for _ in range(REGISTERS)]
        self.window = None
        for hashed, day in self.seen.items():
            _add_pair(self.registers[hashed >> Q], day, _rank(hashed))
        self.seen = {}

    def count(self, first_day: int) -> tuple[int, bool]:
        """Distinct users active on or after `first_day`, and whether the count is exact."""
        known = self.counted.get(first_day)
        if known is not None:
            return known
        if self.registers is None:
            result = sum(1 for day in self.seen.values() if day >= first_day), True
        else:
            if self.window is None or self.window[0] != first_day:
                histogram = [0] * (Q + 2)
                for stair in self.registers:
                    histogram[_rank_since(stair, first_day)] += 1
                self.window = first_day, histogram
            result = round(estimate(self.window[1])), False
        if len(self.counted) >= 4:  # one first day in use at a time; a few as days turn
            self.counted.clear()
        self.counted[first_day] = result
        return result

    def prune(self, last_day: int) -> bool:
        """Forget the days up to `last_day`; whether anything was forgotten."""
        if self.registers is None:
            old = [user for user, day in self.seen.items() if day <= last_day]
            for user in old:
                del self.seen[user]
            pruned = bool(old)
        else:
            pruned = False
            for stair in self.registers:
                if stair and stair[-2] <= last_day:
                    keep = next(i for i in range(0, len(stair), 2) if stair[i] <= last_day)
                    del stair[keep:]
                    pruned = True
        if pruned:
            self._changed()
            self.window = None
        return pruned

    def encode(self) -> str:
        """Plain text for the changelog: `e` and the (hash, day) pairs, or `h` and the
        registers' staircases (the number of pairs of each register, then every pair's day back
        from the newest day, then every pair's rank; zlib), in base64. Kept until it changes."""
        if self.encoded is None:
            if self.registers is None:
                pairs = sorted(self.seen.items())
                packed = struct.pack(">" + "IH" * len(pairs), *(n for p in pairs for n in p))
                self.encoded = "e" + base64.b64encode(packed).decode()
            else:
                self.encoded = "h" + base64.b64encode(zlib.compress(self._columns())).decode()
        return self.encoded

    def _columns(self) -> bytes:
        assert self.registers is not None
        flat = list(chain.from_iterable(self.registers))
        days = flat[0::2]
        newest = max(days, default=0)
        back = [newest - day for day in days]
        wide = max(back, default=0) > 255  # only with a horizon of more than 255 days
        offsets = array("H" if wide else "B", back)
        if wide and sys.byteorder == "little":
            offsets.byteswap()
        counts = bytes(len(stair) >> 1 for stair in self.registers)
        head = struct.pack(">BH", wide, newest)
        return head + counts + offsets.tobytes() + bytes(flat[1::2])

    @classmethod
    def decode(cls, text: str) -> ActiveUsers:
        """Rebuild from `encode` output."""
        if not text:
            return cls()
        data = base64.b64decode(text[1:])
        if text[0] == "e":
            values = struct.unpack(">" + "IH" * (len(data) // 6), data)
            return cls(seen=dict(zip(values[::2], values[1::2], strict=True)), encoded=text)
        data = zlib.decompress(data)
        wide, newest = struct.unpack_from(">BH", data)
        counts = data[3 : 3 + REGISTERS]
        total = sum(counts)
        width = 2 if wide else 1
        at = 3 + REGISTERS
        offsets = array("H" if wide else "B", data[at : at + width * total])
        if wide and sys.byteorder == "little":
            offsets.byteswap()
        ranks = data[at + width * total :]
        registers: list[list[int]] = []
        pair = 0
        for count in counts:
            stair: list[int] = []
            for i in range(pair, pair + count):
                day = newest - offsets[i]
                stair += (_DAYS.setdefault(day, day), ranks[i])
            pair += count
            registers.append(stair)
        return cls(registers=registers, encoded=text)

    @classmethod
    def from_legacy(cls, days: list[list[Any]]) -> ActiveUsers:
        """Read the earlier form ([day, base64 of a 128-bit bitmap] per day): each set bit
        stands for one user, the same bit on several days for the same user."""
        users = cls()
        for day, encoded in days:
            bits = int.from_bytes(base64.b64decode(encoded), "big")
            for bit in range(LEGACY_BITS):
                if bits >> bit & 1:
                    users.add(user_hash(f"legacy-sketch-bit:{bit}"), int(day))
        return users
