"""The matrix page and its CSV download (the same choice of axes, measure and gaps)."""

import csv
import io

from django.http import HttpResponse
from django.shortcuts import render

from ..reads.matrix import (
    AXES,
    HEAT_STEPS,
    MEASURES,
    NOT_STATED_CHOICES,
    SMALL_SAMPLE,
    Matrix,
    build_matrix,
    matrix_filters,
)
from ..tabular.csv_safe import neutralise


def spreadsheet_safe(value):
    """Text a spreadsheet would run as a formula neutralised as in the extracts; numbers
    stay numbers."""
    return neutralise(value) if isinstance(value, str) else value


def heat_legend(largest: int) -> list[tuple[int, int, int]]:
    """(shade, lowest, highest count) of each shade in use, for the legend."""
    legend = []
    for step in range(1, HEAT_STEPS + 1):
        low = (step - 1) * largest // HEAT_STEPS + 1
        high = step * largest // HEAT_STEPS
        if low <= high:
            legend.append((step, low, high))
    return legend


def share_legend() -> list[tuple[int, int, int]]:
    """(shade, lowest, highest percent) of each shade: fixed steps of 100 / HEAT_STEPS."""
    width = 100 // HEAT_STEPS
    steps = range(1, HEAT_STEPS + 1)
    return [(step, (step - 1) * width + (1 if step > 1 else 0), step * width) for step in steps]


def matrix(request):
    table = build_matrix(request.GET)
    filters = matrix_filters(request.GET)
    context = {
        "matrix": table,
        "axes": AXES.values(),
        "measures": MEASURES.items(),
        "not_stated_choices": NOT_STATED_CHOICES.items(),
        "small_sample": SMALL_SAMPLE,
        "legend": share_legend() if table.in_shares else heat_legend(table.largest_count),
        # Hidden inputs keep the list's filters when the form changes the shape.
        "hidden_filters": [(k, v) for k, values in filters.lists() for v in values],
        "has_filters": bool(filters),
    }
    return render(request, "casestudies/matrix.html", context)


def _percent(share: float | None):
    return "" if share is None else round(share, 1)


def matrix_rows(table: Matrix) -> list[list]:
    """The matrix as CSV rows, in the page's measure: header, lines, then the totals.

    Counts: each cell's cases, a total column and a totals line. Shares: each
    cell's percentage (one decimal), with the number of cases each share is of
    beside it (the rows' "Cases (n)" column, the columns' "Cases (n)" line).
    """
    corner = f"{table.rows.label} \\ {table.cols_label}"
    labels = [c.label for c in table.columns]
    if not table.in_shares:
        lines = [[corner, "code", *labels, "Total (distinct cases)"]]
        for line in table.lines:
            counts = [cell.count for cell in line.cells]
            lines.append([line.header.label, line.header.code, *counts, line.total.count])
        totals = [cell.count for cell in table.column_totals]
        lines.append(["Total (distinct cases)", "", *totals, table.grand_total.count])
        return lines
    unit = "% of row" if table.measure == "row_share" else "% of column"
    lines = [[corner, "code", *(f"{label} ({unit})" for label in labels), "Cases (n)"]]
    for line in table.lines:
        shares = [_percent(cell.share) for cell in line.cells]
        lines.append([line.header.label, line.header.code, *shares, line.total.base])
    if table.measure == "row_share":
        shares = [_percent(cell.share) for cell in table.column_totals]
        base = table.column_totals[0].base if table.column_totals else 0
        lines.append(["All selected cases", "", *shares, base])
    else:
        lines.append(["Cases (n)", "", *(cell.base for cell in table.column_totals), ""])
    return lines


def matrix_csv(request):
    table = build_matrix(request.GET)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in matrix_rows(table):
        writer.writerow([spreadsheet_safe(value) for value in row])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    name = f"matrix-{table.rows.key}-{table.cols.key}"
    if table.in_shares:
        name += f"-{table.measure.replace('_', '-')}"
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response
