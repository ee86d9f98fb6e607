-- wrk script: the first webhook of a call to the wellbeing line, signed as Twilio signs it.
-- BODY and SIGNATURE come from bench/load.sh, which computes the signature with `switchboard sign`.
wrk.method = "POST"
wrk.body = os.getenv("BODY")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["X-Twilio-Signature"] = os.getenv("SIGNATURE")
