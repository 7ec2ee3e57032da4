// Registers the dashboard's service worker, which shows an offline page when the network fails
// (docs/pwa.md). A separate file, as the Content-Security-Policy runs no inline script.
if ("serviceWorker" in navigator) {
  const { worker, scope } = document.currentScript.dataset;
  window.addEventListener("load", () => {
    navigator.serviceWorker.register(worker, { scope }).catch((error) => {
      console.warn("Dukaan works without its offline page here:", error);
    });
  });
}
