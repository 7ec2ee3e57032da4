"""Merchants (and staff) are users identified by an E.164 phone number."""

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone

from .roles import MEMBER_ROLES, Role
from .scopes import Scope


class UserManager(BaseUserManager):
    def create_user(self, phone: str, password: str | None = None, **extra):
        user = self.model(phone=phone, **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, phone: str, password: str | None = None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(phone, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A merchant logs in with phone + one-time code; staff may also have a password for the admin."""

    phone = models.CharField(max_length=16, unique=True, help_text="E.164, for example +919812345678")
    name = models.CharField(max_length=120, blank=True)
    # The dashboard's language, one of settings.LANGUAGES; empty until chosen: the browser's then.
    language = models.CharField(max_length=8, blank=True, default="")
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "phone"

    def __str__(self) -> str:
        return self.phone


class LoginCode(models.Model):
    """One one-time code sent by SMS. Only an HMAC of the code is stored, never the code itself."""

    phone = models.CharField(max_length=16, help_text="E.164, for example +919812345678")
    code_hash = models.CharField(max_length=64, help_text="HMAC-SHA256 of the code, keyed by SECRET_KEY")
    ip = models.GenericIPAddressField(null=True, blank=True, help_text="Address that asked for the code")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The resend and hourly limits count recent codes per phone and per address. The pattern
            # operator class also lets the per-range limit's `phone LIKE '+9198123%'` use this index
            # when the database's collation is not "C" (PostgreSQL only; other databases ignore it).
            models.Index(
                fields=["phone", "created_at"],
                name="logincode_phone_prefix_idx",
                opclasses=["varchar_pattern_ops", "timestamptz_ops"],
            ),
            models.Index(fields=["ip", "created_at"], name="accounts_logincode_ip_idx"),
        ]

    def __str__(self) -> str:
        return f"code for {self.phone} at {self.created_at:%Y-%m-%d %H:%M:%S}"


class ApiToken(models.Model):
    """A merchant's key to the REST API for one store. Only a hash is kept; the token is shown once."""

    store = models.ForeignKey("catalog.Store", on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=60, help_text="What uses it, e.g. “POS” or “stock sync”.")
    # The first characters, kept in clear so the merchant can tell tokens apart.
    prefix = models.CharField(max_length=12)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # What the token may do: values of dukaan.accounts.scopes.Scope, chosen when it is made.
    scopes = models.JSONField(default=list, blank=True)
    # Who made it, and their role then: the token can do no more than that role. Tokens made before
    # roles existed were the owner's. Removing the member (or lowering their role) revokes their tokens.
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    role = models.CharField(
        max_length=10, choices=[(r.value, r.label) for r in Role], default=Role.OWNER.value
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def scope_list(self) -> list[Scope]:
        """Its scopes in the order they are declared; an unknown stored value is ignored."""
        return [scope for scope in Scope if scope in self.scopes]


class Membership(models.Model):
    """A person who helps run a store that is not theirs, with a role (roles.MEMBER_ROLES)."""

    # The store in the key: a key Citus can enforce in the store's shard; one membership a person a store.
    pk = models.CompositePrimaryKey("store", "user")
    store = models.ForeignKey("catalog.Store", on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=[(r.value, r.label) for r in MEMBER_ROLES])
    invited_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        # The staff page's order within the store (accounts.selectors.store_members): without it the
        # planner may walk a whole user_id or invited_by index and filter by store.
        indexes = [models.Index(fields=["store", "created_at", "user"], name="membership_store_since")]

    def __str__(self) -> str:
        return f"{self.user} is {self.get_role_display()} of store {self.store_id}"


class AuditEntry(models.Model):
    """A change to a store: its payment details (UPI ID, WhatsApp number; values masked, the owner is
    texted after), settings, order statuses, prices, stock and staff. Who, what, when, old and new
    value. Written in the same transaction as the change."""

    store = models.ForeignKey("catalog.Store", on_delete=models.CASCADE, related_name="audit_entries")
    # Stored as data, put into words in the reader's language when read (accounts/audit.py).
    # Who made the change: a member (masked phone, role), an API token (name, prefix) or the operators.
    actor_kind = models.CharField(max_length=10, blank=True, help_text="member, token, operator")
    actor = models.CharField(max_length=160, help_text="A member's masked phone, a token's name")
    actor_detail = models.CharField(
        max_length=20, blank=True, help_text="The member's role, the token's prefix"
    )
    field = models.CharField(max_length=40, help_text="What changed, e.g. upi_id, price, order_status")
    subject = models.CharField(
        max_length=120, blank=True, help_text="Which one: a product's name, an order's number"
    )
    old_value = models.CharField(max_length=60, blank=True, help_text="Payment details masked")
    new_value = models.CharField(max_length=60, blank=True, help_text="Payment details masked")
    created_at = models.DateTimeField(default=timezone.now)
    # Set when the owner's SMS went out, so a redelivered or replayed event does not text them twice.
    owner_alerted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["store", "-created_at"], name="auditentry_store_recent")]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.field} {self.subject} changed by {self.actor} at {self.created_at:%Y-%m-%d %H:%M:%S}"
