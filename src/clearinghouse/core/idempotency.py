"""`Idempotency-Key` on creates: a retried POST returns the first response and creates nothing new.

The key is scoped to the user. The record of the first response is written in the same transaction
as the record it created, so either both exist or neither does. Two concurrent requests with one key
collide on the (user, key) unique constraint: the loser's transaction (and what it created) rolls
back, and it answers with the winner's stored response. Only successful responses are stored: a
create refused with 4xx can be retried with the same key once the problem is fixed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from ninja.responses import NinjaJSONEncoder

from clearinghouse.core.actors import signed_in
from clearinghouse.core.errors import InvalidInput
from clearinghouse.core.models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def request_digest(method: str, path: str, body: Any) -> str:
    """SHA-256 of the method, the path and the canonical JSON of the body."""
    canonical = json.dumps(
        {"method": method.upper(), "path": path, "body": body},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def to_json(data: Any) -> Any:
    """Plain JSON types exactly as the API renders them (same decimals and datetime precision)."""
    return json.loads(json.dumps(data, cls=NinjaJSONEncoder))


def _body_of(request: HttpRequest) -> Any:
    try:
        return json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        return request.body.decode("latin-1")


def _replay(record: IdempotencyRecord, digest: str) -> JsonResponse:
    if record.request_digest != digest:
        raise InvalidInput(
            f"Idempotency-Key {record.key!r} was already used for a different request "
            f"({record.method} {record.path} with another body): use a new key.",
            field=HEADER,
        )
    response = JsonResponse(record.response_body, status=record.response_status, safe=False)
    response["Idempotent-Replayed"] = "true"
    return response


def run(request: HttpRequest, create: Callable[[], tuple[int, Any]]) -> JsonResponse:
    """Run `create` (returning status and a JSON-ready body) at most once per user and key.

    Without the header the call simply runs. With it: a first call runs and stores its response; a
    retry with the same method, path and body gets that response again (with the same status); the
    same key with a different request gets 422.
    """
    key = request.headers.get(HEADER)
    if key is None:
        status, body = create()
        return JsonResponse(body, status=status, safe=False)
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(f"{HEADER} must be 1 to {MAX_KEY_LENGTH} characters.", field=HEADER)
    user = signed_in(request.user)
    digest = request_digest(request.method or "POST", request.path, _body_of(request))
    try:
        with transaction.atomic():
            existing = IdempotencyRecord.objects.filter(user_id=user.pk, key=key).first()
            if existing is not None:
                return _replay(existing, digest)
            status, body = create()
            IdempotencyRecord.objects.create(
                user_id=user.pk,
                key=key,
                method=(request.method or "POST").upper(),
                path=request.path[:500],
                request_digest=digest,
                response_status=status,
                response_body=body,
            )
    except IntegrityError:
        # A concurrent request with the same key committed first: everything above rolled back.
        existing = IdempotencyRecord.objects.filter(user_id=user.pk, key=key).first()
        if existing is None:
            raise
        return _replay(existing, digest)
    return JsonResponse(body, status=status, safe=False)
