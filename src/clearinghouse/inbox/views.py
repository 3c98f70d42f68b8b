"""Pages of the inbox: the work queue, the notifications and how to be told."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from clearinghouse.core.actors import signed_in
from clearinghouse.core.pages import back_to, page_of
from clearinghouse.inbox import selectors, services
from clearinghouse.inbox.forms import PreferencesForm


@login_required
def inbox_page(request: HttpRequest) -> HttpResponse:
    """Everything that waits for you, kind by kind, with a link to where it is done."""
    return render(request, "inbox/inbox.html", {"queue": selectors.work_queue(user=request.user)})


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    """Your notifications, newest first; unread ones marked."""
    only_unread = request.GET.get("unread") == "1"
    notes = selectors.notification_list(user=request.user, unread=True if only_unread else None)
    return render(
        request,
        "inbox/notifications.html",
        {"page": page_of(request, notes), "only_unread": only_unread},
    )


@login_required
@require_POST
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark one notification read, then follow its link (or go back)."""
    note = services.mark_read(actor=request.user, notification_id=notification_id)
    if request.POST.get("follow") and note.url.startswith("/"):
        return redirect(note.url)
    return redirect(back_to(request, "/notifications/"))


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    """Mark every notification read."""
    n = services.mark_all_read(actor=request.user)
    messages.success(request, f"{n} notification{'s' if n != 1 else ''} marked read.")
    return redirect(back_to(request, "/notifications/"))


@login_required
@require_http_methods(["GET", "POST"])
def notification_preferences(request: HttpRequest) -> HttpResponse:
    """Choose how you are told: in the app, by e-mail, both or neither."""
    user = signed_in(request.user)
    pref = services.preferences_of(user)
    form = PreferencesForm(request.POST or None, initial={"in_app": pref.in_app, "email": pref.email})
    if request.method == "POST" and form.is_valid():
        services.set_preferences(
            actor=user, in_app=form.cleaned_data["in_app"], email=form.cleaned_data["email"]
        )
        messages.success(request, "Your notification preferences are saved.")
        return redirect("notification-preferences")
    return render(request, "inbox/preferences.html", {"form": form, "address": user.email})
