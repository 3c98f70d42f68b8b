"""The first check any request meets: what no input may hold, whatever the route.

* A query string value (or name) with a control character (`core.validation`: C0 controls but tab,
  line feed and carriage return, DEL, C1 controls): the API answers 422 naming `query.<name>`, a
  page 400. NUL above all: PostgreSQL cannot even compare it, so `?q=%00` used to be a 500.
* A JSON body sent to the API with such a character in any string (or key), at any depth: 422
  naming the path as the schemas' own errors do (`body.payload.notes`). The schemas' own types
  (`Line`, `Text`) then refuse line breaks where a field is a single line, with the same message.
* An integer in a page's URL beyond 64 bits (`/pledges/99999999999999999999/`): 404, as for any
  record that does not exist, instead of an error from the database driver.

Field-by-field checks stay with the schemas, forms and cleaners; this guard is the net under them,
so that a route somebody adds later cannot forget it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

from clearinghouse.core.validation import MAX_ID, text_problem

API_PREFIX = "/api/"


def _strings(value: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], str]]:
    """Every string in a JSON value (keys included) with its path."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield (*path, str(key)), str(key)
            yield from _strings(item, (*path, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, str(index)))


def first_problem(request: HttpRequest) -> tuple[str, str] | None:
    """(field path, problem) of the first forbidden character in the request's input, or None."""
    for name, values in request.GET.lists():
        for path, text in [(("query", name), name), *((("query", name), v) for v in values)]:
            problem = text_problem(text, multiline=True)
            if problem:
                return ".".join(path), problem
    if request.path.startswith(API_PREFIX) and request.body and "json" in (request.content_type or ""):
        try:
            data = json.loads(request.body)
        except ValueError:
            return None  # not JSON: the API answers 400 for it
        # As django-ninja names body fields: every route's body parameter is called `payload`.
        for body_path, text in _strings(data, ("body", "payload")):
            problem = text_problem(text, multiline=True)
            if problem:
                return ".".join(body_path), problem
    return None


class InputGuardMiddleware:
    """Refuse control characters in query strings and API bodies; 404 for page ids beyond 64 bits."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        found = first_problem(request)
        if found is not None:
            field, problem = found
            if request.path.startswith(API_PREFIX):
                error = {"loc": field.split("."), "field": field, "msg": problem}
                return JsonResponse(
                    {"detail": f"{field}: {problem}", "field": field, "errors": [error]}, status=422
                )
            return HttpResponseBadRequest(f"Bad request: {field}: {problem}.", content_type="text/plain")
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: dict[str, Any]
    ) -> HttpResponse | None:
        for value in [*view_args, *view_kwargs.values()]:
            if isinstance(value, int) and not -MAX_ID <= value <= MAX_ID:
                raise Http404("No such record.")
        return None
