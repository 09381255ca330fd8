"""The client's address, for admin login throttling (django-axes), behind trusted proxies.

Behind a reverse proxy every request comes from the proxy's address. Each proxy
appends the address it received the request from to ``X-Forwarded-For``, so with
``TRUSTED_PROXY_COUNT = n`` proxies of our own in front of gunicorn, the n-th entry
from the right is the address the outermost of them saw: the client. Entries further
left were sent by the client and can be forged, so they are never used. With
``TRUSTED_PROXY_COUNT = 0`` (the default) the header is ignored altogether, since a
client talking to gunicorn directly could write anything into it.

(django-ipware, which axes can use, counts proxies differently: with a proxy count
of 1 it took the left, forgeable entry of "forged, client". Hence this function.)
"""

import ipaddress

from django.conf import settings


def client_ip(request) -> str:
    remote = request.META.get("REMOTE_ADDR", "")
    count = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if count <= 0:
        return remote
    header = request.META.get("HTTP_X_FORWARDED_FOR", "")
    forwarded = [part.strip() for part in header.split(",") if part.strip()]
    if len(forwarded) < count:
        return remote  # it did not come through all of our proxies
    candidate = forwarded[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote  # not an address: our proxies never write that
