"""Audit entries keep data, put into words when read (accounts/audit.py): who as kind + who + detail,
the subject apart from the field's words, order statuses and roles as their values.

Entries written before are converted where their English (or a status's Hindi) is recognised; the
rest keep their text, shown as it was stored. The words are written out: a migration must not change
when the app's labels do.
"""

import re

from django.db import migrations, models

STATUSES = {
    "Awaiting confirmation": "unconfirmed",
    "पक्का होना बाक़ी": "unconfirmed",
    "Placed": "placed",
    "ऑर्डर हुआ": "placed",
    "Accepted": "accepted",
    "मंज़ूर": "accepted",
    "Shipped": "shipped",
    "भेजा गया": "shipped",
    "Delivered": "delivered",
    "डिलीवर हो गया": "delivered",
    "Returned to origin": "returned",
    "वापस लौटा (RTO)": "returned",
    "Cancelled": "cancelled",
    "रद्द": "cancelled",
}
ROLES = {"Owner": "owner", "Admin": "admin", "Manager": "manager", "Staff": "staff"}
SUBJECTS = {
    "order_status": re.compile(r"Order #(\d+) status"),
    "price": re.compile(r"Price of (.*)"),
    "stock": re.compile(r"Stock of (.*)"),
    "staff": re.compile(r"Staff (.*)"),
}
MEMBER = re.compile(r"(\S+) \((Owner|Admin|Manager|Staff)\)")
TOKEN = re.compile(r"the API token ‘(.*)’ \((.*)…\)")


def to_data(apps, schema_editor):
    AuditEntry = apps.get_model("accounts", "AuditEntry")
    for entry in AuditEntry.objects.using(schema_editor.connection.alias).iterator():
        # `subject` holds the old label: the field's words alone (UPI ID, Store name) say no more than the field.
        pattern = SUBJECTS.get(entry.field)
        found = pattern.fullmatch(entry.subject) if pattern else None
        entry.subject = found.group(1) if found else ("" if pattern is None else entry.subject)
        values = STATUSES if entry.field == "order_status" else ROLES if entry.field == "staff" else {}
        entry.old_value = values.get(entry.old_value, entry.old_value)
        entry.new_value = values.get(entry.new_value, entry.new_value)
        if member := MEMBER.fullmatch(entry.actor):
            entry.actor_kind, entry.actor, entry.actor_detail = "member", member[1], ROLES[member[2]]
        elif token := TOKEN.fullmatch(entry.actor):
            entry.actor_kind, entry.actor, entry.actor_detail = "token", token[1], token[2]
        elif entry.actor == "Dukaan's operators":
            entry.actor_kind, entry.actor = "operator", ""
        entry.save()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_user_language"),
    ]

    operations = [
        migrations.RenameField(model_name="auditentry", old_name="label", new_name="subject"),
        migrations.AlterField(
            model_name="auditentry",
            name="subject",
            field=models.CharField(
                blank=True, help_text="Which one: a product's name, an order's number", max_length=120
            ),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="actor_kind",
            field=models.CharField(blank=True, help_text="member, token, operator", max_length=10),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="actor_detail",
            field=models.CharField(
                blank=True, help_text="The member's role, the token's prefix", max_length=20
            ),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="actor",
            field=models.CharField(help_text="A member's masked phone, a token's name", max_length=160),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="field",
            field=models.CharField(help_text="What changed, e.g. upi_id, price, order_status", max_length=40),
        ),
        migrations.RunPython(to_data, migrations.RunPython.noop),
    ]
