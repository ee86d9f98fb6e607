#!/usr/bin/env python3
"""First webhooks of COUNT different calls to the wellbeing line, each signed for URL as Twilio
signs it (HMAC-SHA1 of the URL and the sorted parameters, keyed by TWILIO_AUTH_TOKEN): one
"body<TAB>signature" line a call, for bench/voice.lua. Each call has a CallSid of its own, so
the servers record as many calls as a real day brings, not one call over and over.

    bench/signed-calls.py http://127.0.0.1:18080/voice 100000 > calls.tsv
"""
import base64
import hashlib
import hmac
import os
import sys
from urllib.parse import urlencode

url, count = sys.argv[1], int(sys.argv[2])
key = os.environ["TWILIO_AUTH_TOKEN"].encode()
out = sys.stdout
for n in range(count):
    params = {"CallSid": f"CA{n:032x}", "From": "+447700900123", "To": "+443301231245"}
    signed = url + "".join(name + params[name] for name in sorted(params))
    digest = hmac.new(key, signed.encode(), hashlib.sha1).digest()
    out.write(f"{urlencode(params)}\t{base64.b64encode(digest).decode()}\n")
