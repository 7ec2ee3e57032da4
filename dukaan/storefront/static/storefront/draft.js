// The checkout page's phone, sent when the buyer leaves the field: the shop sees the checkout as
// unfinished if no order follows within the hour (storefront.views.cart_draft). Without JavaScript
// nothing breaks: a refused submit of the form keeps it too.
(function () {
  "use strict";
  var form = document.querySelector("form[data-draft-url]");
  if (!form || !window.fetch) return;
  var fields = form.elements;
  var phone = fields.namedItem("phone");
  var sent = "";
  function send() {
    var value = phone.value.trim();
    if (!value || value === sent) return;
    sent = value;
    var body = new URLSearchParams();
    body.append("csrfmiddlewaretoken", fields.namedItem("csrfmiddlewaretoken").value);
    body.append("phone", value);
    body.append("name", fields.namedItem("name").value);
    // A refusal (a number that is not a mobile yet) is shown by the form itself when submitted.
    fetch(form.getAttribute("data-draft-url"), { method: "POST", body: body, credentials: "same-origin" })
      .catch(function () {});
  }
  phone.addEventListener("change", send);
  phone.addEventListener("blur", send);
})();
