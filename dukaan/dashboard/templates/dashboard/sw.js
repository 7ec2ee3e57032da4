// The dashboard's service worker (docs/pwa.md), written by dukaan/dashboard/pwa.py.
// It keeps one page, the offline page, and shows it when a dashboard page cannot be loaded. Nothing
// else is kept or answered from a copy: a merchant must never take an old order list for today's,
// and a form's POST goes to the server or fails where the merchant sees it.
const PREFIX = "dukaan-dashboard-";
const CACHE = PREFIX + "{{ version|escapejs }}";
const OFFLINE_URL = "{{ offline_url|escapejs }}";
const STYLESHEET_URL = new URL("{{ stylesheet_url|escapejs }}", self.location).href;

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      await cache.add(new Request(OFFLINE_URL, { cache: "reload" }));
      // The stylesheet is a nicety: a CDN that refuses it to a script must not stop the install.
      await cache.add(STYLESHEET_URL).catch(() => {});
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      const old = (await caches.keys()).filter((name) => name.startsWith(PREFIX) && name !== CACHE);
      await Promise.all(old.map((name) => caches.delete(name)));
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  if (request.mode === "navigate") {
    // Only when the server cannot be reached: an answer, even an error page, is shown as it is.
    event.respondWith(fetch(request).catch(() => caches.match(OFFLINE_URL, { cacheName: CACHE })));
  } else if (request.url === STYLESHEET_URL) {
    event.respondWith(fetch(request).catch(() => caches.match(request, { cacheName: CACHE })));
  }
});
