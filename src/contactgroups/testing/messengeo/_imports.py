"""Messengeo's file import (``POST /lists?action=import``): the uploaded file, read into contacts.

The vendor takes CSV, XLS, XLSX and ZIP up to 20 MB; this fake reads CSV, plain or zipped, with
or without a header line (``ignoreFirstLine``), split on ``;`` or ``,``.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Mapping
from typing import Any

from ...messengeo import IMPORT_EXTENSIONS, MAX_IMPORT_BYTES
from ._wire import CONTACT_FIELDS, EMAIL_RE, reject, truthy

__all__ = ["read_upload"]

# Column order of a CSV import without a header line, as the vendor documents it.
_IMPORT_COLUMNS = (
    "civility",
    "firstName",
    "lastName",
    "email",
    "phone",
    "mobile",
    "fax",
    "address1",
    "address2",
    "zipcode",
    "city",
    "state",
    "country",
    "birthDate",
    "company",
    "reference",
    *(f"field{n:02d}" for n in range(1, 16)),
)
_HEADER_ALIASES = {
    "firstname": "firstName",
    "lastname": "lastName",
    "fixedtelephone": "phone",
    "telephone": "phone",
    "postalcode": "zipcode",
    "dateofbirth": "birthDate",
    "birthdate": "birthDate",
    **{f"field{n}": f"field{n:02d}" for n in range(1, 16)},
    **{name.lower(): name for name in CONTACT_FIELDS},
}


def read_upload(params: Mapping[str, Any]) -> tuple[list[dict[str, str]], int]:
    """The ``contactFile`` upload's valid rows as contact fields, and its number of invalid rows."""
    files = params.get("_files") or {}
    upload = files.get("contactFile")
    if upload is None:
        raise reject(400, "Bad Request", "Parameter contactFile is required")
    filename, data = upload
    extension = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in IMPORT_EXTENSIONS:
        raise reject(400, "Bad Request", f"unsupported file type {filename!r}")
    if len(data) > MAX_IMPORT_BYTES:
        raise reject(400, "Bad Request", "the file exceeds 20Mb")
    if extension == ".zip":
        data = _first_csv_in_zip(data)
    elif extension != ".csv":
        raise reject(400, "Bad Request", "this fake reads CSV files (plain or zipped) only")
    return _parse_csv(data, truthy(params.get("ignoreFirstLine", "")))


def _first_csv_in_zip(data: bytes) -> bytes:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                if info.filename.lower().endswith(".csv"):
                    return archive.read(info)
    except zipfile.BadZipFile:
        raise reject(400, "Bad Request", "the zip file is damaged") from None
    raise reject(400, "Bad Request", "the zip file holds no CSV file")


def _parse_csv(data: bytes, has_header: bool) -> tuple[list[dict[str, str]], int]:
    """Valid rows as contact fields, and the number of invalid rows."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return [], 0
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    reader = csv.reader(lines, delimiter=delimiter)
    columns: list[str | None] = list(_IMPORT_COLUMNS)
    if has_header:
        header = next(reader, [])
        columns = [_HEADER_ALIASES.get(re.sub(r"[\s_\-]", "", h).lower()) for h in header]
    rows: list[dict[str, str]] = []
    invalid = 0
    for record in reader:
        fields = {
            column: value.strip()
            for column, value in zip(columns, record, strict=False)
            if column is not None and value.strip()
        }
        email = fields.get("email")
        if not (email or fields.get("mobile")) or (email and not EMAIL_RE.match(email)):
            invalid += 1
            continue
        rows.append(fields)
    return rows, invalid
