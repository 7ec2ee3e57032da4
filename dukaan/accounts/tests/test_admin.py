"""The admin lists merchants by phone and shows login codes read-only, without their hash."""

import pytest

from dukaan.accounts.models import LoginCode, User
from dukaan.accounts.services import request_login_code
from dukaan.conftest import change_store

PHONE = "+919812345678"


@pytest.mark.django_db
def test_the_merchant_list_can_be_searched_by_phone(staff):
    User.objects.create_user(PHONE, name="Asha Stores")
    User.objects.create_user("+919812300002", name="Other")

    response = staff.get("/admin/accounts/user/", {"q": "98123456"})

    assert response.status_code == 200
    assert "Asha Stores" in response.text
    assert "Other" not in response.text


@pytest.mark.django_db
def test_staff_can_add_a_merchant_by_phone_without_a_password(staff):
    response = staff.post(
        "/admin/accounts/user/add/", {"phone": "98123 45678", "name": "Asha", "usable_password": "false"}
    )

    assert response.status_code == 302, response.text
    user = User.objects.get(phone=PHONE)
    assert not user.has_usable_password()
    assert staff.get(f"/admin/accounts/user/{user.pk}/change/").status_code == 200


@pytest.mark.django_db
def test_login_codes_are_read_only_and_never_show_the_hash(staff):
    login_code = request_login_code(phone=PHONE, ip="203.0.113.7")

    listing = staff.get("/admin/accounts/logincode/")
    detail = staff.get(f"/admin/accounts/logincode/{login_code.pk}/change/")

    assert listing.status_code == 200
    assert detail.status_code == 200
    for page in (listing.text, detail.text):
        assert login_code.code_hash not in page
    assert staff.get("/admin/accounts/logincode/add/").status_code == 403
    staff.post(f"/admin/accounts/logincode/{login_code.pk}/change/", {"failed_attempts": 0})
    assert LoginCode.objects.get(pk=login_code.pk).code_hash == login_code.code_hash


@pytest.mark.django_db
def test_staff_see_tokens_scopes_and_the_audit_trail_but_cannot_change_them(staff, store):
    from dukaan.accounts.scopes import Scope
    from dukaan.accounts.services import create_api_token

    token, raw = create_api_token(store=store, name="Stock sync", scopes=[Scope.STORE_WRITE])
    change_store(store, upi_id="asha@okaxis")
    tokens = staff.get("/admin/accounts/apitoken/").text
    assert "Stock sync" in tokens and "store:write" in tokens and raw not in tokens
    audit = staff.get("/admin/accounts/auditentry/").text
    assert "…axis" in audit and "Dukaan&#x27;s operators" in audit and "asha@okaxis" not in audit
    assert staff.get(f"/admin/accounts/apitoken/{token.pk}/delete/").status_code == 403


@pytest.mark.django_db
def test_staff_list_the_stores_memberships_and_search_them_by_phone_or_store_link(staff, store, other_store):
    from dukaan.accounts.models import Membership

    helper = User.objects.create_user("+919812300011")
    Membership.objects.create(store=store, user=helper, role="manager", invited_by=store.owner)
    Membership.objects.create(store=other_store, user=User.objects.create_user("+919812300012"), role="staff")

    listing = staff.get("/admin/accounts/user/memberships/")
    assert listing.status_code == 200
    for shown in ("asha-store", "+919812300011", "Manager", store.owner.phone, "bala-store", "+919812300012"):
        assert shown in listing.text
    by_store = staff.get("/admin/accounts/user/memberships/", {"q": "asha"}).text
    assert "+919812300011" in by_store and "+919812300012" not in by_store
    by_phone = staff.get("/admin/accounts/user/memberships/", {"q": "9812300012"}).text
    assert "bala-store" in by_phone and "asha-store" not in by_phone
    profile = staff.get(f"/admin/accounts/user/{helper.pk}/change/").text
    assert "asha-store: Manager" in profile
    assert "/admin/accounts/user/memberships/?q=%2B919812300011" in profile


@pytest.mark.django_db
def test_the_membership_list_is_for_staff_only(client, store):
    client.force_login(store.owner)
    assert client.get("/admin/accounts/user/memberships/").status_code == 302  # to the admin's login
