"""Landing page, login by phone + one-time code, and the staff password (accounts/staff.py): parse the
request, call one service, render."""

from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dukaan.infra.clients import client_address

from . import staff
from .forms import CodeForm, PhoneForm, StaffLoginForm
from .services import (
    LoginRefused,
    TooManyAttempts,
    format_phone,
    request_login_code,
    set_user_language,
    verify_login_code,
)

DASHBOARD_URL = "/dashboard/"
ADMIN_URL = "/admin/"
# The number a code was sent to, between the phone page and the code page.
SESSION_PHONE = "accounts_login_phone"
# Where to go after logging in, when the login page was reached from a protected page.
SESSION_NEXT = "accounts_login_next"


@require_GET
def landing(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(DASHBOARD_URL)
    return render(request, "accounts/landing.html")


@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(DASHBOARD_URL)
    _remember_next(request)
    form = PhoneForm(request.POST if request.method == "POST" else None)
    has_pending_code = False
    refused = None
    if form.is_valid():
        phone = form.cleaned_data["phone"]
        try:
            request_login_code(phone=phone, ip=client_address(request))
        except LoginRefused as error:
            refused = error
            form.add_error("phone", refused.message)
            # Someone who came back here for a number that already has a code can go and enter it.
            has_pending_code = request.session.get(SESSION_PHONE) == phone
        else:
            request.session[SESSION_PHONE] = phone
            return redirect("accounts:verify")
    response = render(request, "accounts/login.html", {"form": form, "has_pending_code": has_pending_code})
    return _with_limit(response, refused)


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(DASHBOARD_URL)
    phone = request.session.get(SESSION_PHONE)
    if not phone:
        return redirect("accounts:login")
    if request.method == "POST" and "resend" in request.POST:
        return _resend(request, phone)

    form = CodeForm(request.POST if request.method == "POST" else None)
    refused = None
    if form.is_valid():
        try:
            user = verify_login_code(phone=phone, code=form.cleaned_data["code"])
        except LoginRefused as error:
            refused = error
            form.add_error("code", refused.message)
        else:
            next_url = request.session.get(SESSION_NEXT) or DASHBOARD_URL
            password_too = staff.password_proved_for(request, user)
            auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            staff.prove(request, staff.SMS)
            if password_too:
                staff.prove(request, staff.PASSWORD)
            request.session.pop(SESSION_PHONE, None)
            request.session.pop(SESSION_NEXT, None)
            return redirect(next_url)
    return _with_limit(_verify_page(request, phone, form), refused)


def _verify_page(request: HttpRequest, phone: str, form: CodeForm) -> HttpResponse:
    context = {"form": form, "phone_display": format_phone(phone), "console_log": _console_log_hint()}
    return render(request, "accounts/verify.html", context)


def _resend(request: HttpRequest, phone: str) -> HttpResponse:
    try:
        request_login_code(phone=phone, ip=client_address(request))
    except LoginRefused as refused:
        messages.error(request, refused.message)
        return _with_limit(_verify_page(request, phone, CodeForm()), refused)
    messages.success(request, _("We sent a new code to %(phone)s.") % {"phone": format_phone(phone)})
    return redirect("accounts:verify")


def _with_limit(response: HttpResponse, refused: LoginRefused | None) -> HttpResponse:
    """A refusal over one of the login limits is a 429 with Retry-After, so scripts are told too."""
    if isinstance(refused, TooManyAttempts):
        response.status_code = 429
        response["Retry-After"] = str(refused.retry_after_seconds)
    return response


@require_http_methods(["GET", "POST"])
def staff_login(request: HttpRequest) -> HttpResponse:
    """/admin/login/: the staff password. Staff pages also need the SMS code, asked before or after."""
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next")) or ADMIN_URL
    user = request.user
    if user.is_authenticated and user.is_staff:
        return redirect(next_url)
    # Logged in by SMS code as a staff member: only the password is missing, for that account.
    missing = staff.missing_factors(request)
    confirming = missing == {staff.PASSWORD}
    data = request.POST if request.method == "POST" else None
    form = StaffLoginForm(data, phone=user.phone if confirming else None)
    refused = None
    if form.is_valid():
        try:
            staff_user = staff.check_staff_password(
                phone=user.phone if confirming else form.cleaned_data["phone"],
                password=form.cleaned_data["password"],
                ip=client_address(request),
            )
        except LoginRefused as error:
            refused = error
            form.add_error(None, refused.message)
        else:
            if confirming:
                staff.prove(request, staff.PASSWORD)
                return redirect(next_url)
            return _send_staff_code(request, staff_user, next_url)
    context = {
        "form": form,
        "next": next_url,
        "confirming": confirming,
        "no_password": confirming and not user.has_usable_password(),
        "not_staff": not missing,  # logged in, as someone who is not staff
        "phone_display": format_phone(user.phone) if user.is_authenticated else None,
    }
    return _with_limit(render(request, "accounts/staff_login.html", context), refused)


def _send_staff_code(request: HttpRequest, user, next_url: str) -> HttpResponse:
    """The password was right: the SMS code to the staff member's phone comes next, on the code page."""
    if request.user.is_authenticated:
        auth_logout(request)  # someone else, or a staff session that never proved the SMS code
    staff.remember_password(request, user)
    request.session[SESSION_PHONE] = user.phone
    request.session[SESSION_NEXT] = next_url
    try:
        request_login_code(phone=user.phone, ip=client_address(request))
    except LoginRefused as refused:
        # A code may already be on its way (the resend wait); the code page can also send a new one.
        messages.error(request, refused.message)
    return redirect("accounts:verify")


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    messages.info(request, _("You are logged out."))
    return redirect("accounts:login")


@require_POST
def language(request: HttpRequest) -> HttpResponse:
    """The language menu: a merchant's choice is kept on their account, and in a cookie for the login
    pages (anyone's choice is only the cookie)."""
    chosen = request.POST.get("language", "")
    if chosen not in dict(settings.LANGUAGES):
        names = " / ".join(name for _, name in settings.LANGUAGES)
        return HttpResponseBadRequest(_("Choose one of the languages offered: %(names)s.") % {"names": names})
    if request.user.is_authenticated:
        set_user_language(user=request.user, language=chosen)
    response = redirect(_safe_next(request, request.POST.get("next")) or DASHBOARD_URL)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        chosen,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        secure=request.is_secure(),
        httponly=True,
    )
    return response


def _remember_next(request: HttpRequest) -> None:
    next_url = _safe_next(request, request.GET.get("next"))
    if next_url:
        request.session[SESSION_NEXT] = next_url


def _safe_next(request: HttpRequest, next_url: str | None) -> str | None:
    """`next_url` if it stays on this site, else None."""
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return None


def _console_log_hint() -> str | None:
    # On a laptop there is no phone to receive the SMS: say where the console backend wrote it.
    if not (settings.DEBUG and settings.SMS_BACKEND == "console"):
        return None
    log_path = Path(settings.SMS_CONSOLE_LOG)
    try:
        return str(log_path.relative_to(settings.BASE_DIR))
    except ValueError:
        return str(log_path)
