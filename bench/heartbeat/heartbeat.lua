-- wrk: every request a heartbeat from alice, as a client would send it.
wrk.method = "POST"
wrk.body = '{"username":"alice"}'
wrk.headers["Content-Type"] = "application/json"
