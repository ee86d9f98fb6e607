# wrk's --latency output in, "req/s p50_ms p99_ms errors" out (socket errors and non-2xx
# answers counted together). Used by bench/load.sh and bench/store-down.sh.
function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
/Requests\/sec/ { rps = $2 }
/ 50%/ { p50 = ms($2) }
/ 99%/ { p99 = ms($2) }
/Socket errors/ { for (i = 3; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) errors += $i }
/Non-2xx/ { errors += $NF }
END { printf "%.0f %.3f %.3f %d\n", rps, p50, p99, errors }
