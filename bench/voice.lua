-- wrk script: first webhooks of many calls to the wellbeing line, each signed as Twilio signs it.
-- CALLS names a file of "body<TAB>signature" lines (bench/signed-calls.py, which bench/load.sh and
-- bench/store-down.sh run for each server's URL); each request is the next call, round and round.
local calls = {}
local next_call = 1

function init(args)
  for line in io.lines(os.getenv("CALLS")) do
    local body, signature = line:match("^(.-)\t(.*)$")
    calls[#calls + 1] = {
      body = body,
      headers = {
        ["Content-Type"] = "application/x-www-form-urlencoded",
        ["X-Twilio-Signature"] = signature,
      },
    }
  end
end

function request()
  local call = calls[next_call]
  next_call = next_call % #calls + 1
  return wrk.format("POST", nil, call.headers, call.body)
end
