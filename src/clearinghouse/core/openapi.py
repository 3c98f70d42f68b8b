"""What the OpenAPI document says every operation may answer, besides the responses it declares.

* **422** (`ErrorOut`, with `errors` listing each field) for any operation that takes parameters or
  a body: a value the schema refuses, or that the input guard refuses (`core.input_guard`).
* **400** (`ErrorOut`) for an operation with a body: a body that is not JSON at all.

Routes answering files declare them with `FILE_RESPONSES` (`openapi_extra=`), so that a client (and
the schema fuzzing in the tests) knows `format=csv` answers `text/csv` and `format=xlsx` a workbook.
"""

from __future__ import annotations

from typing import Any

CSV_TYPE = "text/csv"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

FILE_RESPONSES: dict[str, Any] = {
    "responses": {
        200: {
            "description": "The report as JSON, or as a CSV or XLSX file (`format=`).",
            "content": {
                CSV_TYPE: {"schema": {"type": "string"}},
                XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
            },
        }
    }
}

_ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ERROR_REF}}}


def complete(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the 400 and 422 answers that any operation taking input may give (in place; returns it)."""
    for methods in schema.get("paths", {}).values():
        for operation in methods.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            takes_body = "requestBody" in operation
            # django-ninja keys responses by int status: keep to that, or JSON would get "422" twice.
            if (operation.get("parameters") or takes_body) and 422 not in responses:
                responses[422] = _error("Invalid input: `field` names the first, `errors` every one.")
            if takes_body and 400 not in responses:
                responses[400] = _error("The body is not JSON.")
    return schema
