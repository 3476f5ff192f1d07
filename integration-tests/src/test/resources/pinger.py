# Runs in one sprite against another's echo server: "pinger.py HOST PORT SECONDS OUT" sends a
# numbered line every 100 ms over ONE connection and checks each echo; OUT gets "ok N" at the
# end, or the error that broke the connection. Standard library only.
import socket, sys, time

host, port, seconds, out = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
n = 0
try:
    s = socket.create_connection((host, port), 10)
    s.settimeout(10)
    f = s.makefile("rb")
    end = time.time() + seconds
    while time.time() < end:
        line = b"ping %d\n" % n
        s.sendall(line)
        if f.readline() != line:
            raise RuntimeError("echo %d differs" % n)
        n += 1
        time.sleep(0.1)
    s.close()
    result = "ok %d" % n
except Exception as e:
    result = "broken after %d: %r" % (n, e)
with open(out, "w") as o:
    o.write(result)
