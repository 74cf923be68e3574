-- wrk: successful sign-ins, each from a different client address (behind a trusted proxy).
local token = os.getenv("CSRF")
wrk.method = "POST"
wrk.body = "login=bench%40example.com&password=bench-password-long"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "verso_csrf=" .. token
wrk.headers["x-csrftoken"] = token
request = function()
  wrk.headers["X-Forwarded-For"] = string.format("10.%d.%d.%d", math.random(0, 255), math.random(0, 255), math.random(1, 254))
  return wrk.format()
end
