# The edge cache in front of the storefront: anonymous buyers' store pages, tagged for xkey purges.
#
# deploy/local/varnish.py fills in @BACKEND_HOST@, @BACKEND_PORT@ and @FRESH_GRACE@ (the app's
# STOREFRONT_STALE_WHILE_REVALIDATE) and runs varnishd with the result.
#
#   cached  GET/HEAD /s/<slug>/… without a `sessionid` or `messages` cookie, except /cart, /checkout
#           and /o/ (the buyer's cart and orders); other cookies (csrftoken, analytics) are dropped,
#           but the language cookie, which is kept and hashed (one copy a language)
#   passed  everything else: dashboard, admin, API, login, any POST, any buyer with a session
#   stored  only 200/404 responses without Set-Cookie and without private/no-store/no-cache;
#           TTL from the app's s-maxage
#   grace   stale-while-revalidate (@FRESH_GRACE@) while the backend is healthy; 6 h of the last
#           good page while the /healthz probe says it is sick
#   PURGE   from 127.0.0.1 only, `xkey: tag tag …` → xkey.purge; answers "purged <count>"
vcl 4.1;

import std;
import xkey;

# A dead storefront refuses the probe at once (sick in about 2 s); a busy one answers /healthz only
# after the renders queued before it, and must not be taken for dead: a sick backend turns every miss
# into a 503, and the entry then sends all the buyers past the edge (docs/benchmarks/longtail.md).
probe healthz {
    .url = "/healthz";
    .interval = 1s;
    .timeout = 5s;
    .window = 3;
    .threshold = 2;
    .initial = 2;
}

backend storefront {
    .host = "@BACKEND_HOST@";
    .port = "@BACKEND_PORT@";
    .probe = healthz;
    .connect_timeout = 1s;
    .first_byte_timeout = 30s;
}

acl purgers {
    "127.0.0.1";
}

sub vcl_recv {
    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "Forbidden"));
        }
        if (!req.http.xkey) {
            return (synth(400, "A PURGE needs an xkey header"));
        }
        # A hard purge: after a price change no one may get the old page, not even as a stale copy.
        set req.http.X-Purged = xkey.purge(req.http.xkey);
        return (synth(200, "purged " + req.http.X-Purged));
    }
    set req.http.X-Cache = "PASS";
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    if (req.url !~ "^/s/[^/]+/" || req.url ~ "^/s/[^/]+/(cart|checkout|o)(/|$|\?)") {
        return (pass);
    }
    if (req.http.Authorization) {
        return (pass);
    }
    # A buyer with a session (a cart) or a flash message to see gets their own page, never a shared copy.
    if (req.http.Cookie ~ "(^|;\s*)(sessionid|messages)=") {
        return (pass);
    }
    # The language cookie (the buyer's pick, docs/i18n.md#caches) is the only one these pages read: kept
    # alone, so the app sees it, and hashed, so a page in one language is never served in the other.
    # Any other cookie means nothing to them; dropped so the app's `Vary: Cookie` does not split them.
    if (req.http.Cookie ~ "(^|;\s*)django_language=[-a-z]+(;|$)") {
        set req.http.X-Language = regsub(req.http.Cookie, "^(.*;\s*)?django_language=([-a-z]+).*$", "\2");
        set req.http.Cookie = "django_language=" + req.http.X-Language;
    } else {
        unset req.http.X-Language;
        unset req.http.Cookie;
    }
    # The store's language, or the cookie's, decides; the browser's languages do not (the app's
    # `Vary: Accept-Language` comes from Django's LocaleMiddleware and must not split the pages).
    unset req.http.Accept-Language;
    if (std.healthy(req.backend_hint)) {
        # A healthy backend: a stale page only for the app's stale-while-revalidate, while it refreshes.
        set req.grace = @FRESH_GRACE@s;
    }
    return (hash);
}

sub vcl_backend_response {
    if (bereq.uncacheable) {
        return (deliver);
    }
    if (beresp.http.Set-Cookie
        || beresp.http.Cache-Control ~ "(private|no-store|no-cache)"
        || beresp.http.Vary == "*"
        || (beresp.status != 200 && beresp.status != 404)) {
        # Remember the decision for a short while, so requests do not queue up behind each other.
        set beresp.ttl = 120s;
        set beresp.uncacheable = true;
        return (deliver);
    }
    # beresp.ttl already comes from s-maxage; grace is widened so a sick backend still has a page.
    set beresp.grace = 6h;
    return (deliver);
}

sub vcl_hash {
    # Then the built-in vcl_hash: the URL and the host.
    hash_data(req.http.X-Language);
}

sub vcl_hit {
    set req.http.X-Cache = "HIT";
}

sub vcl_miss {
    set req.http.X-Cache = "MISS";
}

sub vcl_pass {
    set req.http.X-Cache = "PASS";
}

sub vcl_deliver {
    set resp.http.X-Cache = req.http.X-Cache;
    # The tags are for this cache only.
    unset resp.http.xkey;
}

sub vcl_synth {
    set resp.http.Content-Type = "text/plain; charset=utf-8";
    set resp.body = resp.reason + {"
"};
    return (deliver);
}
