"""Signals of the pledges app, for apps further down the layers to follow a pledge (the pledges app
imports none of them).

`pledge_changed(pledge=..., actor=...)` is sent inside the service's transaction after a pledge's
status or valuation changed, so that a receiver's writes (e.g. the fund reversing the credit of a
withdrawn pledge) commit or roll back with the change itself.
"""

from __future__ import annotations

from django.dispatch import Signal

pledge_changed = Signal()
