"""Small-number suppression for figures built from cases.

Primary: a cell built from 1 to 4 cases is shown as "<5" (by the number of cases behind it, not
by its value: 37 victims in one case is one case). Zero is shown: it describes nobody.

Secondary: where cells add up to a total that is also shown, one suppressed cell could be
recovered by subtraction. A group is the parts and the whole they add up to: the organisations
of one period with that period's national figure, and the national figures of all periods with
their grand total. No group may have exactly one hidden cell, whichever cell that is: a hidden
national figure whose organisations are all shown is their sum, and once known it gives away the
small period next to it in the series. Cells hidden for this reason are marked "x", not "<5":
most of them are not small, and "<5" would be a false statement about them.

Because "<5" (1 to 4 cases) and "x" (5 or more) say something about the size of a hidden cell,
counting hidden cells is not enough: with a national 6, "<5" and "x" can only be 1 and 5.
So after the group rule the published figures are also checked the way someone with the table
would: every hidden cell gets the range its mark allows, the groups narrow those ranges, and a
small cell whose range shrinks to one value has a neighbour hidden as well. Both rules are
applied to the whole grid until nothing changes, so the national figures the series chart shows
and the ones the drill-down shows are suppressed identically.
"""

import math
from dataclasses import dataclass

THRESHOLD = 5
SUPPRESSED = "<5"
SECONDARY = "x"

NATIONAL = None  # the organisation key of national cells
TOTAL = "total"  # the period key of the grand total

# How the organisations' figures of one period relate to the national figure.
SUM = "sum"  # they add up to it (cases, victims, arrests ...)
UNION = "union"  # it counts distinct items two organisations can share (hits): max <= national <= sum


@dataclass
class Cell:
    value: float | None
    count: int | None  # cases (or hits) behind the figure; None for entered figures
    suppressed: bool = False
    secondary: bool = False  # hidden only to protect another cell, not because it is small

    @property
    def display(self) -> str:
        if self.suppressed:
            return SECONDARY if self.secondary else SUPPRESSED
        if self.value is None:
            return "–"
        return f"{self.value:,.0f}" if float(self.value).is_integer() else f"{self.value:,.1f}"


@dataclass(frozen=True)
class Group:
    parts: tuple[tuple, ...]
    whole: tuple
    relation: str


def _primary(cell: Cell) -> bool:
    return cell.count is not None and 0 < cell.count < THRESHOLD


def _groups(grid: dict[tuple, Cell], relation: str) -> list[Group]:
    """Every published relation between cells. A row without a national figure relates nothing."""
    periods = sorted({p for p, _o in grid if p != TOTAL})
    groups = []
    for period in periods:
        parts = tuple(k for k in grid if k[0] == period and k[1] is not NATIONAL)
        if parts and (period, NATIONAL) in grid:
            groups.append(Group(parts, (period, NATIONAL), relation))
    series = tuple((p, NATIONAL) for p in periods if (p, NATIONAL) in grid)
    if series and (TOTAL, NATIONAL) in grid:  # only flows have a total: quarters add up
        groups.append(Group(series, (TOTAL, NATIONAL), SUM))
    return groups


def _hide_next(grid: dict[tuple, Cell], group: Group) -> bool:
    """Hide the smallest shown non-zero part of the group, or else its whole. Parts first: an
    organisation's cell belongs to no other group, a national figure to the series as well."""
    candidates = sorted(
        (grid[k] for k in group.parts if not grid[k].suppressed and grid[k].count),
        key=lambda c: (c.count, c.value or 0),
    )
    whole = grid[group.whole]
    if not whole.suppressed and whole.count:
        candidates.append(whole)
    if not candidates:
        return False
    candidates[0].suppressed = candidates[0].secondary = True
    return True


def _protect(grid: dict[tuple, Cell], group: Group) -> bool:
    """If exactly one cell of an additive group is hidden, the others give it away: hide one more."""
    if group.relation != SUM:
        return False  # a distinct count is no sum of its parts: the ranges below cover it
    hidden = sum(grid[k].suppressed for k in (*group.parts, group.whole))
    return hidden == 1 and _hide_next(grid, group)


def _ranges(grid: dict[tuple, Cell], groups: list[Group], primary_max: float | None) -> dict[tuple, list[float]]:
    """What a reader can tell about each cell: shown cells are exact; "<5" is at least 1 (and at
    most 4 when the figure is the number of cases), "x" at least 5; then every group narrows its
    cells' ranges until none changes. The groups form a tree (organisations hang off their
    period's national figure, the national figures off the total), on which this is exact."""
    ranges = {}
    for key, cell in grid.items():
        value = cell.value or 0
        if not cell.suppressed:
            ranges[key] = [value, value]
        elif cell.secondary:
            ranges[key] = [min(THRESHOLD, value), math.inf]
        else:
            ceiling = math.inf if primary_max is None else primary_max
            ranges[key] = [min(1, value), max(ceiling, value)]  # never narrower than the truth
    # A tree two levels deep settles in a few passes; the bound only matters for figures that do
    # not add up, whose empty ranges would otherwise narrow for ever (they count as pinned).
    for _pass in range(2 * len(groups) + 2):
        changed = False
        for group in groups:
            lows = [ranges[k][0] for k in group.parts]
            highs = [ranges[k][1] for k in group.parts]
            whole = ranges[group.whole]
            # UNION: each hit is between two organisations (or within one), so it counts once or
            # twice among the parts: national <= sum(parts) <= 2 x national.
            if group.relation == UNION:
                narrowed = {group.whole: (max(max(lows), math.ceil(sum(lows) / 2)), sum(highs))}
            else:
                narrowed = {group.whole: (sum(lows), sum(highs))}
            for i, key in enumerate(group.parts):
                others_high = sum(highs[:i]) + sum(highs[i + 1 :])
                others_low = sum(lows[:i]) + sum(lows[i + 1 :])
                high = min(whole[1], 2 * whole[1] - others_low) if group.relation == UNION else whole[1] - others_low
                narrowed[key] = (whole[0] - others_high, high)
            for key, (low, high) in narrowed.items():
                if low > ranges[key][0]:
                    ranges[key][0], changed = low, True
                if high < ranges[key][1]:
                    ranges[key][1], changed = high, True
        if not changed:
            break
    return ranges


def _unpin(grid: dict[tuple, Cell], groups: list[Group], primary_max: float | None) -> bool:
    """If a small cell can be worked out exactly, hide the nearest shown cell it depends on."""
    ranges = _ranges(grid, groups, primary_max)
    pinned = [k for k, c in grid.items() if c.suppressed and not c.secondary and ranges[k][1] <= ranges[k][0]]
    for key in pinned:
        # Walk outwards through the groups joined by hidden cells: those are what pins it.
        seen_groups, frontier, reached = set(), [key], {key}
        while frontier:
            current = frontier.pop(0)
            for group in groups:
                if group in seen_groups or current not in (*group.parts, group.whole):
                    continue
                seen_groups.add(group)
                if _hide_next(grid, group):
                    return True
                for other in (*group.parts, group.whole):
                    if grid[other].suppressed and other not in reached:
                        reached.add(other)
                        frontier.append(other)
    return False  # nothing left to hide near it: every cell around it is hidden already


def suppress_grid(
    grid: dict[tuple, Cell],
    *,
    relation: str | None = SUM,
    primary_max: float | None = None,
) -> dict[tuple, Cell]:
    """Apply primary and secondary suppression in place.

    ``grid`` maps (period, organisation) to cells; organisation NATIONAL is the national figure
    of a period, period TOTAL with organisation NATIONAL the grand total of the series.
    ``relation`` is SUM, UNION or None (medians: nothing can be derived from the others);
    ``primary_max`` is the largest value a "<5" cell can have when the value is the number of
    cases itself, None when one case can stand for any value (37 victims).
    """
    for cell in grid.values():
        cell.suppressed = _primary(cell)
        cell.secondary = False
    if relation is None:
        return grid
    groups = _groups(grid, relation)
    changed = True
    while changed:
        changed = False
        for group in groups:
            changed |= _protect(grid, group)
        if not changed:
            changed = _unpin(grid, groups, primary_max)
    return grid
