# Payments move to their own app (the tables stay); orders gain the money paid and refunded, a
# payment reference, the UPI amount asked, two states (awaiting confirmation, returned) and restocked units.

import dukaan.orders.models
from django.db import migrations, models
from django.db.models import F


def fill_new_fields(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    OrderLine = apps.get_model("orders", "OrderLine")
    Order.objects.filter(payment_status="paid").update(amount_paid=F("total"))
    # A cancelled order already gave its stock back.
    OrderLine.objects.filter(order__status="cancelled").update(restocked=F("quantity"))
    for store_id in Order.objects.values_list("store_id", flat=True).distinct():
        references = set()
        for order in Order.objects.filter(store_id=store_id).only("pk").iterator():
            reference = dukaan.orders.models.new_pay_reference()
            while reference in references:
                reference = dukaan.orders.models.new_pay_reference()
            references.add(reference)
            Order.objects.filter(pk=order.pk).update(pay_reference=reference)


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0004_released_slug'),
        ('orders', '0002_money_priced_once'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='ProcessedWebhook'),
                migrations.DeleteModel(name='Payment'),
            ],
        ),
        migrations.AddField(
            model_name='order',
            name='amount_paid',
            field=models.DecimalField(decimal_places=2, default=0, max_digits=14),
        ),
        migrations.AddField(
            model_name='order',
            name='amount_refunded',
            field=models.DecimalField(decimal_places=2, default=0, max_digits=14),
        ),
        migrations.AddField(
            model_name='order',
            name='confirmed_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='order',
            name='pay_reference',
            field=models.CharField(default='', max_length=8),
        ),
        migrations.AddField(
            model_name='order',
            name='returned_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='order',
            name='upi_amount',
            field=models.DecimalField(blank=True, decimal_places=2, max_digits=14, null=True, verbose_name='UPI amount'),
        ),
        migrations.AddField(
            model_name='orderline',
            name='restocked',
            field=models.PositiveIntegerField(default=0, help_text='Units given back (cancel, refund, RTO)'),
        ),
        migrations.AlterField(
            model_name='order',
            name='payment_status',
            field=models.CharField(choices=[('pending', 'Pending'), ('partly_paid', 'Partly paid'), ('paid', 'Paid'), ('refunded', 'Refunded'), ('failed', 'Failed')], default='pending', max_length=12),
        ),
        migrations.AlterField(
            model_name='order',
            name='status',
            field=models.CharField(choices=[('unconfirmed', 'Awaiting confirmation'), ('placed', 'Placed'), ('accepted', 'Accepted'), ('shipped', 'Shipped'), ('delivered', 'Delivered'), ('returned', 'Returned to origin'), ('cancelled', 'Cancelled')], default='placed', max_length=12),
        ),
        migrations.AddIndex(
            model_name='order',
            index=models.Index(fields=['store', 'upi_amount'], name='order_store_upi_amount'),
        ),
        migrations.RunPython(fill_new_fields, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='order',
            name='pay_reference',
            field=models.CharField(default=dukaan.orders.models.new_pay_reference, max_length=8),
        ),
        migrations.AddConstraint(
            model_name='order',
            constraint=models.UniqueConstraint(fields=('store', 'pay_reference'), name='order_pay_reference_unique'),
        ),
    ]
