"""Simulated drivers: who they are and how they drive."""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum

FIRST_NAMES = (
    "Aino",
    "Bram",
    "Carla",
    "Dario",
    "Elif",
    "Finn",
    "Greta",
    "Hugo",
    "Ines",
    "Jonas",
    "Kaja",
    "Luca",
    "Mira",
    "Nils",
    "Olga",
    "Pavel",
    "Quinn",
    "Rosa",
    "Sven",
    "Tara",
    "Umut",
    "Vera",
    "Wim",
    "Xenia",
    "Yusuf",
    "Zofia",
)
SURNAMES = (
    "Aalto",
    "Berg",
    "Costa",
    "Dvorak",
    "Eriksen",
    "Ferreira",
    "Gallo",
    "Horvat",
    "Ilves",
    "Janssen",
    "Kowal",
    "Lind",
    "Moreau",
    "Novak",
    "Ortega",
    "Peeters",
    "Quist",
    "Rossi",
    "Sato",
    "Toivonen",
    "Urbina",
    "Varga",
    "Weber",
    "Yilmaz",
    "Zeman",
)


class SessionMode(StrEnum):
    PRACTICE = "practice"
    QUALIFY = "qualify"
    RACE = "race"


@dataclass(frozen=True)
class Driver:
    """A driver and their car.

    ``pace`` is the share of the car's grip and brakes they use (1.0 = the limit);
    ``consistency`` the lap-to-lap spread of their lap times (sigma / mean, e.g. 0.004);
    ``mistake_rate`` the expected number of mistakes per lap.
    """

    name: str
    car: str = "XFG"
    pace: float = 0.97
    consistency: float = 0.004
    mistake_rate: float = 0.05
    plate: str = ""
    skin: str = "DEFAULT"
    user_name: str = ""
    pit_lap: int | None = None
    """Race lap at the end of which this driver pits (None: the field decides)."""
    false_start: bool | None = None
    """Jumps the race start (None: the field decides, now and then)."""
    pit_speeding_mps: float | None = None
    """How far over the pit speed limit this driver enters the pit lane the first time in a race
    (None: the field decides at each entry, now and then; 0: never)."""
    serve_after_laps: int | None = None
    """Laps after a penalty at whose end this driver drives in to serve it: 1 = the next lap,
    3 or more = too late (None: the field decides)."""

    def __post_init__(self) -> None:
        if not 0.5 <= self.pace <= 1.0:
            raise ValueError(f"pace must be within [0.5, 1.0], got {self.pace}")
        if self.consistency < 0 or self.mistake_rate < 0:
            raise ValueError("consistency and mistake_rate must not be negative")
        if self.pit_speeding_mps is not None and self.pit_speeding_mps < 0:
            raise ValueError("pit_speeding_mps must not be negative")
        if self.serve_after_laps is not None and self.serve_after_laps < 1:
            raise ValueError("serve_after_laps is at least 1")


def make_drivers(count: int, seed: int = 0, car: str | tuple[str, ...] = "XFG") -> list[Driver]:
    """``count`` varied drivers (1..48), the same for the same seed."""
    if not 1 <= count <= 48:
        raise ValueError(f"a field has 1 to 48 cars, got {count}")
    rng = random.Random(f"drivers:{seed}")
    cars = (car,) if isinstance(car, str) else car
    names: list[str] = []
    while len(names) < count:
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
        if name not in names:
            names.append(name)
    drivers = []
    for i, name in enumerate(names):
        pace = round(rng.uniform(0.925, 1.0), 4)
        drivers.append(
            Driver(
                name=name,
                car=cars[i % len(cars)],
                pace=pace,
                consistency=round(rng.uniform(0.0025, 0.008), 4),
                mistake_rate=round(rng.uniform(0.02, 0.09), 3),
                plate=f"SIM{i + 1:03d}",
                user_name=name.split()[0].lower() + str(i + 1),
            )
        )
    return drivers
