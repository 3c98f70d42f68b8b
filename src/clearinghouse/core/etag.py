"""Entity tags for optimistic concurrency: `ETag` on reads, `If-Match` on updates (412 when stale).

A record's tag is derived from its model, primary key and `version`, a counter that every service
write increments while holding the row lock. Comparing the tag inside that same locked transaction
is what prevents a lost update: of two PATCHes carrying the same tag, the second sees a new version.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.http import JsonResponse

from clearinghouse.core.errors import PreconditionFailed


def etag(label: str, pk: Any, version: int) -> str:
    """The strong entity tag of version `version` of record `pk` of model `label`, quoted for HTTP."""
    raw = f"{label}:{pk}:{version}"
    return '"' + hashlib.sha256(raw.encode()).hexdigest()[:24] + '"'


def etag_for(obj: Any) -> str:
    """The entity tag of a versioned record as it is now."""
    return etag(obj._meta.label_lower, obj.pk, obj.version)


def _tags(header: str) -> list[str]:
    """The entity tags of an If-Match header value (a list, `*`, weak tags compared by their value)."""
    tags = []
    for part in header.split(","):
        tag = part.strip()
        if tag.startswith("W/"):
            tag = tag[2:]
        if tag:
            tags.append(tag)
    return tags


def check_if_match(obj: Any, if_match: str | None) -> None:
    """Raise PreconditionFailed unless `if_match` is absent, `*`, or names the record's current tag."""
    if if_match is None or not if_match.strip():
        return
    current = etag_for(obj)
    tags = _tags(if_match)
    if "*" in tags or current in tags or current.strip('"') in tags:
        return
    raise PreconditionFailed(
        f"{obj._meta.verbose_name} {obj.pk} was changed by somebody else "
        f"(If-Match {if_match.strip()} is stale; the current ETag is {current}): reload and retry."
    )


def tag_created(response: JsonResponse, label: str) -> JsonResponse:
    """Set the ETag of a JSON create response (first or replayed) from the body's id and version."""
    if 200 <= response.status_code < 300:
        body = json.loads(response.content or b"null")
        if isinstance(body, dict) and "id" in body and "version" in body:
            response["ETag"] = etag(label, body["id"], body["version"])
    return response
