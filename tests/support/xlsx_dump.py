"""Dumps an XLSX workbook as text with openpyxl (a reader independent of
libxlsxwriter), for the report tests: one "== SHEET freeze=CELL" line per
sheet, then one line per row, cells separated by tabs. Numbers are printed
with %.10g, dates as YYYY-MM-DD, empty cells as nothing; a text cell that
looks like a number or a date gets a leading apostrophe, so a number or a
date written as text never matches an expected number or date."""
import datetime
import re
import sys

import openpyxl

LOOKS_TYPED = re.compile(r"^-?\d+([.,]\d+)?$|^\d{4}-\d\d-\d\d$")


def cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "BOOL:" + str(value)
    if isinstance(value, (int, float)):
        return "%.10g" % value
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    text = str(value)
    return "'" + text if LOOKS_TYPED.match(text) else text


def main():
    book = openpyxl.load_workbook(sys.argv[1])
    for sheet in book.worksheets:
        print("== %s freeze=%s" % (sheet.title, sheet.freeze_panes))
        for row in sheet.iter_rows(values_only=True):
            print("\t".join(cell(v) for v in row))


main()
