"""Dumps an XLSX workbook as text with openpyxl (a reader independent of
libxlsxwriter), for the report tests: one "== SHEET freeze=CELL" line per
sheet, then one line per row, cells separated by tabs. Numbers are printed
with %.10g, dates as YYYY-MM-DD, empty cells as nothing; a text cell that
looks like a number or a date gets a leading apostrophe, so a number or a
date written as text never matches an expected number or date.

openpyxl 3.0 leaves the Office Open XML escapes _xHHHH_ in shared strings
as they are, but for dropping every "x005F_". Before the file, --raw
shows shared strings as the file holds them, and --excel as Excel reads
them (ECMA-376 Part 1, 22.9.2.19 ST_Xstring): each _xHHHH_ is the
character it names, in one pass from the left, so _x005F_x0041_ is the
text _x0041_."""
import datetime
import re
import sys

import openpyxl
import openpyxl.reader.excel
from openpyxl.cell.text import Text
from openpyxl.xml.constants import SHEET_MAIN_NS
from openpyxl.xml.functions import iterparse

LOOKS_TYPED = re.compile(r"^-?\d+([.,]\d+)?$|^\d{4}-\d\d-\d\d$")
ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def string_table(excel):
    """openpyxl's read_string_table without its "x005F_" rule: the text
    as the file holds it, or (excel) with the escapes undone."""

    def read(xml_source):
        strings = []
        for _, node in iterparse(xml_source):
            if node.tag == "{%s}si" % SHEET_MAIN_NS:
                text = Text.from_tree(node).content
                if excel:
                    text = ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
                strings.append(text)
                node.clear()
        return strings

    return read


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
    mode = sys.argv[1] if len(sys.argv) > 2 else None
    if mode in ("--raw", "--excel"):
        openpyxl.reader.excel.read_string_table = string_table(mode == "--excel")
    book = openpyxl.load_workbook(sys.argv[-1])
    for sheet in book.worksheets:
        print("== %s freeze=%s" % (sheet.title, sheet.freeze_panes))
        for row in sheet.iter_rows(values_only=True):
            print("\t".join(cell(v) for v in row))


main()
