"""Small-number suppression for figures built from cases.

Primary: a cell built from 1 to 4 cases is shown as "<5" (by the number of cases behind it, not
by its value: 37 victims in one case is one case). Zero is shown: it describes nobody.

Secondary: where cells add up to a total that is also shown, one suppressed cell could be
recovered by subtraction. So in every such group (the organisations of one period with the
national figure; the periods of the national series with their grand total) no suppressed cell
may stand alone: the next-smallest cell of the group is suppressed as well, or else the total.
The rules are applied to the whole grid until nothing changes, so the national figures the
series chart shows and the ones the drill-down shows are suppressed identically.
"""

from dataclasses import dataclass

THRESHOLD = 5
SUPPRESSED = "<5"

NATIONAL = None  # the organisation key of national cells
TOTAL = "total"  # the period key of the grand total


@dataclass
class Cell:
    value: float | None
    count: int | None  # cases (or hits) behind the figure; None for entered figures
    suppressed: bool = False

    @property
    def display(self) -> str:
        if self.suppressed:
            return SUPPRESSED
        if self.value is None:
            return "–"
        return f"{self.value:,.0f}" if float(self.value).is_integer() else f"{self.value:,.1f}"


def _primary(cell: Cell) -> bool:
    return cell.count is not None and 0 < cell.count < THRESHOLD


def _protect(group: list[Cell], total: Cell | None) -> bool:
    """If exactly one cell of an additive group is suppressed, suppress a second one."""
    members = [c for c in group if c is not total]
    hidden = [c for c in members if c.suppressed]
    if total is not None and total.suppressed and len(hidden) == 0:
        candidates = [c for c in members if not c.suppressed and c.count]
        if len(candidates) == 1:  # the total is hidden but equals its only non-zero part
            candidates[0].suppressed = True
            return True
        return False
    if len(hidden) != 1:
        return False
    candidates = sorted((c for c in members if not c.suppressed and c.count), key=lambda c: (c.count, c.value or 0))
    if candidates:
        candidates[0].suppressed = True
        return True
    if total is not None and not total.suppressed:
        total.suppressed = True
        return True
    return False


def suppress_grid(grid: dict[tuple, Cell], *, additive: bool) -> dict[tuple, Cell]:
    """Apply primary and secondary suppression in place.

    ``grid`` maps (period, organisation) to cells; organisation NATIONAL is the national figure
    of a period, period TOTAL with organisation NATIONAL the grand total of the series.
    """
    for cell in grid.values():
        cell.suppressed = _primary(cell)
    if not additive:
        return grid  # medians do not add up: nothing can be subtracted
    periods = sorted({p for p, _o in grid if p != TOTAL})
    changed = True
    while changed:
        changed = False
        for period in periods:
            row = [c for (p, o), c in grid.items() if p == period and o is not NATIONAL]
            national = grid.get((period, NATIONAL))
            if row:
                changed |= _protect(row + ([national] if national else []), national)
        series = [grid[(p, NATIONAL)] for p in periods if (p, NATIONAL) in grid]
        total = grid.get((TOTAL, NATIONAL))
        if series:
            changed |= _protect(series + ([total] if total else []), total)
    return grid
