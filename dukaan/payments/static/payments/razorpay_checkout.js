// Opens Razorpay's Checkout with the options the page carries (payments/checkout.py). Checkout then
// posts the payment's signature to our callback URL; the button opens it again after a dismissal.
(function () {
  "use strict";
  var options = JSON.parse(document.getElementById("razorpay-options").textContent);
  var button = document.getElementById("razorpay-pay");
  function open() {
    if (typeof window.Razorpay !== "function") {
      button.textContent = "Razorpay did not load: check your connection and reload this page";
      return;
    }
    new window.Razorpay(options).open();
  }
  button.addEventListener("click", open);
  open();
})();
