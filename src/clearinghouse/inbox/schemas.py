"""Shapes of the inbox API."""

from __future__ import annotations

import datetime as dt

from ninja import Schema


class InboxItemOut(Schema):
    kind: str
    title: str
    url: str
    since: dt.datetime


class InboxOut(Schema):
    items: list[InboxItemOut]
    count: int


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    url: str
    created: dt.datetime
    read_at: dt.datetime | None
