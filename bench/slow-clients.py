#!/usr/bin/env python3
"""Twilio's webhooks answered while SLOW clients trickle their requests: how long each waits.

Opens SLOW connections to the server that each send a request line and then one byte of a
header every second, never finishing it (opened again at once when the server closes one, as
an attacker would); once they are open, sends signed first webhooks to the wellbeing line one
after another for SECONDS, each on a new connection as a webhook may come, and times each from
connect to the answer's last byte. Prints one line:

    slow=1000 held=998 webhooks=2400 p50_ms=1.2 p99_ms=3.4 max_ms=9.9 errors=0

    TWILIO_AUTH_TOKEN=... bench/slow-clients.py http://127.0.0.1:18080 1000 10
    TWILIO_AUTH_TOKEN=... bench/slow-clients.py http://127.0.0.1:18080 1000 10 idle

With "idle" (MODE=idle in bench/slow-clients.sh) each client instead sends one whole request,
reads its answer and then keeps the connection open and silent, as a pooled client does between
requests (opened again when the server closes it).

The webhooks are signed for URL/voice as Twilio signs them (HMAC-SHA1 of the URL and the sorted
parameters). Only loopback addresses are used; every loop ends by itself.
"""
import asyncio
import base64
import hashlib
import hmac
import os
import resource
import sys
import time
from urllib.parse import urlencode, urlsplit

url, slow, seconds = sys.argv[1].rstrip("/"), int(sys.argv[2]), float(sys.argv[3])
mode = sys.argv[4] if len(sys.argv) > 4 else "trickle"
assert mode in ("trickle", "idle"), mode
parts = urlsplit(url)
host, port = parts.hostname, parts.port or 80
assert host in ("127.0.0.1", "localhost", "::1"), "loopback only"
key = os.environ["TWILIO_AUTH_TOKEN"].encode()
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

held = 0


async def trickle(stop_at):
    """One slow client, kept open (opened again when closed) until stop_at."""
    global held
    while time.monotonic() < stop_at:
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        held += 1
        try:
            if mode == "idle":
                # One whole request, its answer read, then silence on the kept-alive connection.
                writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                await writer.drain()
                await reader.readuntil(b"\r\n\r\n")
                await reader.readexactly(len(b"ok\n"))
                # Silent until the server closes it or the run ends.
                try:
                    await asyncio.wait_for(reader.read(1), max(0.0, stop_at - time.monotonic()))
                except asyncio.TimeoutError:
                    pass
                continue
            writer.write(b"POST /voice HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            while time.monotonic() < stop_at:
                await writer.drain()
                await asyncio.sleep(1)
                writer.write(b"a")
                if reader.at_eof():
                    break
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            held -= 1
            writer.close()


def signed_request(n):
    params = {"CallSid": f"CA{n:032x}", "From": "+447700900123", "To": "+443301231245"}
    signed = f"{url}/voice" + "".join(k + params[k] for k in sorted(params))
    signature = base64.b64encode(hmac.new(key, signed.encode(), hashlib.sha1).digest()).decode()
    body = urlencode(params)
    return (
        f"POST /voice HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\nX-Twilio-Signature: {signature}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n{body}"
    ).encode()


async def webhook(n):
    """One webhook on a new connection: seconds taken, or None if it failed or took over 15 s."""
    started = time.monotonic()
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 15)
        writer.write(signed_request(n))
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 15 - (time.monotonic() - started))
        writer.close()
        if not answer.startswith(b"HTTP/1.1 200") or b"</Response>" not in answer:
            return None
    except (OSError, asyncio.TimeoutError):
        return None
    return time.monotonic() - started


async def main():
    stop_at = time.monotonic() + seconds + 30
    tricklers = [asyncio.create_task(trickle(stop_at)) for _ in range(slow)]
    deadline = time.monotonic() + 10
    while held < slow and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    took, errors, n = [], 0, 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        n += 1
        seconds_taken = await webhook(n)
        if seconds_taken is None:
            errors += 1
        else:
            took.append(seconds_taken)
    held_at_end = held
    for task in tricklers:
        task.cancel()
    await asyncio.gather(*tricklers, return_exceptions=True)
    took.sort()
    pick = lambda q: took[min(len(took) - 1, int(q * len(took)))] * 1000 if took else float("nan")
    print(
        f"slow={slow} held={held_at_end} webhooks={len(took)} p50_ms={pick(0.5):.1f} "
        f"p99_ms={pick(0.99):.1f} max_ms={(took[-1] * 1000 if took else float('nan')):.1f} errors={errors}"
    )


asyncio.run(main())
