"""Payment providers' webhooks: verify the signature, apply the event once, answer in JSON."""

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import services
from .gateways import WebhookRefused, get_gateway


@csrf_exempt  # the provider cannot hold a CSRF token; the HMAC signature is the proof instead
@require_POST
def webhook(request: HttpRequest, provider: str) -> JsonResponse:
    gateway = get_gateway()
    if gateway is None or gateway.name != provider:
        return JsonResponse({"error": f"No payment provider called “{provider}” is set up here."}, status=404)
    try:
        event = gateway.verify_webhook(request.body, request.headers.get(gateway.signature_header, ""))
    except WebhookRefused as error:
        return JsonResponse({"error": error.message}, status=400)
    # A duplicate delivery is answered 200 too, or the provider would keep retrying it.
    outcome = services.apply_payment_webhook(provider=gateway.name, event=event)
    return JsonResponse({"status": outcome})
