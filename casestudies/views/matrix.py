"""The cross-country matrix page and its CSV download."""

import csv
import io

from django.http import HttpResponse
from django.shortcuts import render

from ..matrix import COL_AXES, HEAT_STEPS, ROW_AXES, Matrix, build_matrix, matrix_filters

# Spreadsheets run a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """Neutralise text a spreadsheet would run as a formula; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def heat_legend(largest: int) -> list[tuple[int, int, int]]:
    """(shade, lowest, highest count) of each shade in use, for the legend."""
    legend = []
    for step in range(1, HEAT_STEPS + 1):
        low = (step - 1) * largest // HEAT_STEPS + 1
        high = step * largest // HEAT_STEPS
        if low <= high:
            legend.append((step, low, high))
    return legend


def matrix(request):
    table = build_matrix(request.GET)
    filters = matrix_filters(request.GET)
    context = {
        "matrix": table,
        "row_axes": ROW_AXES.values(),
        "col_axes": COL_AXES.values(),
        "legend": heat_legend(table.largest[2] if table.largest else 0),
        # Hidden inputs keep the list's filters when the form changes the shape.
        "hidden_filters": [(k, v) for k, values in filters.lists() for v in values],
        "has_filters": bool(filters),
    }
    return render(request, "casestudies/matrix.html", context)


def matrix_rows(table: Matrix) -> list[list]:
    """The matrix as CSV rows: header, one line per row, then the column totals."""
    corner = f"{table.rows.label} \\ {table.cols_label}"
    header = [corner, "code", *(c.label for c in table.columns), "Total (distinct cases)"]
    lines = [header]
    for line in table.lines:
        lines.append(
            [
                line.header.label,
                line.header.code,
                *(cell.count for cell in line.cells),
                line.total.count,
            ]
        )
    lines.append(
        [
            "Total (distinct cases)",
            "",
            *(cell.count for cell in table.column_totals),
            table.grand_total.count,
        ]
    )
    return lines


def matrix_csv(request):
    table = build_matrix(request.GET)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in matrix_rows(table):
        writer.writerow([spreadsheet_safe(value) for value in row])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="matrix-{table.rows.key}-{table.cols.key}.csv"'
    )
    return response
