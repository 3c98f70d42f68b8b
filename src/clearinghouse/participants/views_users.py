"""Pages for admins: accounts of every participant (create with a generated password, change the
role, deactivate)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from clearinghouse.core.actors import is_signed_in
from clearinghouse.core.errors import DomainError
from clearinghouse.participants import selectors, services
from clearinghouse.participants.choices import Role
from clearinghouse.participants.models import Participant


class AccountForm(forms.Form):
    """A new account: who, for which participant, in which role."""

    username = forms.CharField(max_length=150)
    participant = forms.ChoiceField(choices=())
    role = forms.ChoiceField(choices=Role.choices)
    email = forms.EmailField(required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # passed through to forms.Form
        self.fields["participant"].choices = [  # type: ignore[attr-defined]  # a ChoiceField
            (p.code, f"{p.code} — {p.name}") for p in Participant.objects.order_by("code")
        ]


def _require_admin(request: HttpRequest) -> None:
    if not (is_signed_in(request.user) and request.user.has_role(Role.ADMIN)):
        raise DjangoPermissionDenied


@login_required
@require_http_methods(["GET", "POST"])
def user_list(request: HttpRequest) -> HttpResponse:
    """Every account, and a form to create one (the generated password is shown once)."""
    _require_admin(request)
    form = AccountForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            created = services.create_account(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            form = AccountForm()
    return render(
        request,
        "participants/user_list.html",
        {
            "users": selectors.user_list(user=request.user),
            "form": form,
            "created": created,
            "mfa_roles": settings.MFA_REQUIRED_ROLES,
        },
    )


class RoleForm(forms.Form):
    """Another role for an account (one role per account: it replaces the one held)."""

    role = forms.ChoiceField(choices=Role.choices)


@login_required
@require_http_methods(["GET", "POST"])
def user_role(request: HttpRequest, username: str) -> HttpResponse:
    """Grant an account another role (admins): the same service as `clearinghouse user role`; audited,
    and in force from the account's next request. An admin does not change its own role here."""
    _require_admin(request)
    account = selectors.user_list(user=request.user).filter(username=username).first()
    if account is None:
        raise Http404
    form = RoleForm(request.POST or None, initial={"role": account.role})
    if request.method == "POST" and form.is_valid():
        try:
            services.change_role(actor=request.user, username=username, role=form.cleaned_data["role"])
        except DomainError as exc:
            form.add_error("role" if exc.field == "role" else None, exc.message)
        else:
            messages.success(
                request, f"{account.username} now holds the role {Role(form.cleaned_data['role']).label}."
            )
            return redirect("user-list")
    context = {
        "form": form,
        "title": f"Role of {account.username}",
        "intro": f"{account.username} acts for {account.participant.code} as {account.get_role_display()}. "
        "An account holds one role: the one chosen here replaces it. Admins hold every power.",
        "button": "Change role",
        "cancel_url": reverse("user-list"),
    }
    return render(request, "core/form_page.html", context, status=422 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def user_deactivate(request: HttpRequest, username: str) -> HttpResponse:
    """Deactivate an account after confirmation: its sessions and tokens stop working at once."""
    _require_admin(request)
    account = selectors.user_list(user=request.user).filter(username=username).first()
    if account is None:
        raise Http404
    error = ""
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        try:
            services.deactivate_user(actor=request.user, username=username)
        except DomainError as exc:
            error = exc.message
        else:
            return redirect("user-list")
    return render(
        request,
        "core/confirm.html",
        {
            "title": f"Deactivate {account.username}",
            "message": error
            or f"Deactivate {account.username} ({account.get_role_display()}, {account.participant.code})? "
            "The account can no longer sign in; its sessions end and its API tokens are revoked at once.",
            "button": "Deactivate",
            "cancel_url": reverse("user-list"),
        },
    )
