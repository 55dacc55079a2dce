"""Named random streams spawned from one seed: one stream per source of randomness.

Adding a new stream never changes the draws of an existing one, so the same
scenario and seed replay the same storm under every strategy.
"""

from __future__ import annotations

import hashlib
import random


class RandomStreams:
    """``streams.get("storm.0")`` is the same ``random.Random`` sequence for the same seed."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._streams: dict[str, random.Random] = {}

    def get(self, name: str) -> random.Random:
        stream = self._streams.get(name)
        if stream is None:
            digest = hashlib.sha256(f"{self.seed}:{name}".encode()).digest()
            stream = random.Random(int.from_bytes(digest[:16], "big"))
            self._streams[name] = stream
        return stream
