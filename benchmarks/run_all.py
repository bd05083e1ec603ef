"""``make bench``: every benchmark, then the figures as the README table shows them.

``--quick``: smaller fleets and shorter restarts (figures saved under their own names
where they differ from the README's: ``fleet-20x10s.json``, ``fleet_bounds-10-50.json``)."""

from __future__ import annotations

import sys

from benchmarks import (
    cold_start,
    cost_per_rotation,
    detection_lag,
    fleet,
    fleet_bounds,
    fleet_faults,
    planning,
)


def main() -> int:
    quick = "--quick" in sys.argv
    cold_start.main([])
    detection_lag.main(["--runs", "5" if quick else "10"])
    fleet.main(["--portals", "20", "--restart-seconds", "10"] if quick else [])
    fleet_bounds.main(["--fleets", "10,50"] if quick else [])
    fleet_faults.main([])
    cost_per_rotation.main(["--restart-seconds", "30" if quick else "300"])
    planning.main(["--named", "100", "--selected", "1000"] if quick else [])
    return 0


if __name__ == "__main__":
    sys.exit(main())
