"""Runtime knobs of the provider simulator (latency, error rate, seed).

serve-local's admin route mutates the module-level ``knobs`` instance while the server runs, so
handlers read it on every request instead of copying values at start-up.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field


@dataclass
class SimulatorKnobs:
    """What the simulator does to every request; defaults answer at once and never fail."""

    latency_ms: float = 0.0
    error_rate: float = 0.0
    seed: int = 0
    _rng: random.Random = field(default_factory=random.Random, repr=False, compare=False)
    _rng_seed: int | None = field(default=None, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def update(self, **values: float | int) -> None:
        """Set knobs by name, rejecting unknown names and out-of-range values before any change."""
        unknown = set(values) - {"latency_ms", "error_rate", "seed"}
        if unknown:
            raise ValueError(f"unknown simulator knob(s): {', '.join(sorted(unknown))}")
        latency = float(values.get("latency_ms", self.latency_ms))
        error_rate = float(values.get("error_rate", self.error_rate))
        seed = int(values.get("seed", self.seed))
        if latency < 0:
            raise ValueError("latency_ms must be >= 0")
        if not 0 <= error_rate <= 1:
            raise ValueError("error_rate must be between 0 and 1")
        with self._lock:
            self.latency_ms, self.error_rate, self.seed = latency, error_rate, seed
            if "seed" in values:
                self._rng_seed = None  # setting a seed (even the same) restarts its sequence

    def snapshot(self) -> dict[str, float | int]:
        return {"latency_ms": self.latency_ms, "error_rate": self.error_rate, "seed": self.seed}

    def roll(self) -> float:
        """Next number in [0, 1) of the seeded sequence; a new seed restarts the sequence."""
        with self._lock:
            if self._rng_seed != self.seed:
                self._rng.seed(self.seed)
                self._rng_seed = self.seed
            return self._rng.random()

    def should_fail(self) -> bool:
        return self.error_rate > 0 and self.roll() < self.error_rate


knobs = SimulatorKnobs()
