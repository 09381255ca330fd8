"""The tabular format the extracts and the import share.

The column specification (``columns``) and the guard against spreadsheet
formulas (``csv_safe``), also used by the matrix CSV.
"""
