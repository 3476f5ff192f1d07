package labs.sandwich.puck.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import labs.sandwich.puck.Puck;
import labs.sandwich.puck.api.DeletePolicy;
import labs.sandwich.puck.api.SleepPolicy;
import labs.sandwich.puck.api.Sprite;
import labs.sandwich.puck.api.SpriteSpec;
import labs.sandwich.puck.network.internal.CaddyAdmin;
import labs.sandwich.puck.podman.internal.PodmanClient;
import labs.sandwich.puck.testkit.Workloads;

/**
 * Networking against its baselines, in one run: (1) a request to an awake sprite through
 * Puck's Caddy route against the same request through a bare Caddy route to the same sprite
 * (added by hand through the admin API, no Puck settings on it); (2) the first byte of a
 * request to a hibernated sprite, through Puck's route and activator, against the raw libpod
 * restore of a second, identical sprite. Turns alternate; the client is the same raw socket
 * code for both sides.
 */
public final class NetworkBench {
    private static final Path SOCKET = Path.of("/run/podman/podman.sock");
    /** A server on 8081 that keeps connections open (HTTP/1.1), as most web servers do: Caddy then reuses its connections to it. */
    private static final String KEEP_ALIVE_SERVER = """
            import http.server
            class H(http.server.BaseHTTPRequestHandler):
                protocol_version = "HTTP/1.1"
                wbufsize = 65536  # head and body in one write: two small writes meet Nagle and a delayed ACK, 40 ms per reused connection
                def do_GET(self):
                    self.send_response(200)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                def log_message(self, *a):
                    pass
            http.server.ThreadingHTTPServer(("", 8081), H).serve_forever()
            """;

    private final List<Double> tcpViaPuck = new ArrayList<>();
    private final List<Double> tcpDirect = new ArrayList<>();
    private final List<Double> tcpFirstByte = new ArrayList<>();
    private final List<Double> tcpRawRestore = new ArrayList<>();
    private final List<Double> viaPuck = new ArrayList<>();
    private final List<Double> viaBare = new ArrayList<>();
    private final List<Double> keptViaPuck = new ArrayList<>();
    private final List<Double> keptViaBare = new ArrayList<>();
    private final List<Double> firstByte = new ArrayList<>();
    private final List<Double> rawRestore = new ArrayList<>();
    private final List<Double> rawRestoreAndRequest = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        int iterations = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        Path report = Path.of(args.length > 1 ? args[1] : "bench/REPORT-network.md");
        new NetworkBench().run(iterations, report);
    }

    private void run(int iterations, Path report) throws Exception {
        Path dir = Files.createTempDirectory("puck-netbench");
        int http = freePort();
        String tag = Long.toHexString(System.nanoTime() & 0xffffff);
        String web = "nb-web-" + tag;
        String raw = "nb-raw-" + tag;
        Path caddyDir = dir.resolve("caddy");
        try (Puck puck = Puck.builder().store(dir.resolve("puck.db")).ingress("caddy").config("caddy.dir", caddyDir.toString())
                .config("caddy.http-port", Integer.toString(http)).config("caddy.https-port", Integer.toString(freePort())).build();
                PodmanClient podman = new PodmanClient(SOCKET)) {
            try {
                for (String n : List.of(web, raw)) {
                    Sprite s = puck.create(SpriteSpec.named(n).withPorts(8080).withSleep(SleepPolicy.NEVER));
                    s.writeFile("/root/counter.py", Workloads.PYTHON_COUNTER_SERVER.getBytes(StandardCharsets.UTF_8));
                    s.exec("sh", "-c", "nohup python3 /root/counter.py >/dev/null 2>&1 &").orThrow();
                    s.exec("sh", "-c", "for i in $(seq 100); do curl -sf localhost:8080/ >/dev/null && exit 0; sleep 0.05; done; exit 1").orThrow();
                }
                Sprite w = puck.get(web);
                w.writeFile("/root/keepalive.py", KEEP_ALIVE_SERVER.getBytes(StandardCharsets.UTF_8));
                w.exec("sh", "-c", "nohup python3 /root/keepalive.py >/dev/null 2>&1 &").orThrow();
                w.exec("sh", "-c", "for i in $(seq 100); do curl -sf localhost:8081/ >/dev/null && exit 0; sleep 0.05; done; exit 1").orThrow();
                String rawIp = puck.get(raw).inspect().attributes().get("ip");
                w.expose(8080);
                w.expose(8081);
                String ip = w.inspect().attributes().get("ip");
                CaddyAdmin caddy = new CaddyAdmin(caddyDir.resolve("admin.sock"));
                for (int port : List.of(8080, 8081)) {
                    caddy.call("PUT", "/config/apps/http/servers/puck-http/routes/0", "{\"@id\":\"bare" + port + "\",\"match\":[{\"host\":[\"bare" + port
                            + ".localhost\"]}],\"handle\":[{\"handler\":\"reverse_proxy\",\"upstreams\":[{\"dial\":\"" + ip + ":" + port + "\"}]}]}");
                }
                // Awake requests are cheap and differ by microseconds, under a p50 that wanders by a percent or two on a busy host: 150 times as many.
                alternate(iterations * 150, viaPuck, () -> firstByte(http, web + ".localhost"), viaBare, () -> firstByte(http, "bare8080.localhost"));
                alternate(iterations * 150, keptViaPuck, () -> firstByte(http, "8081-" + web + ".localhost"), keptViaBare, () -> firstByte(http, "bare8081.localhost"));
                wakes(iterations, w, podman, raw, rawIp, firstByte, rawRestore, rawRestoreAndRequest, () -> firstByte(http, web + ".localhost"));
                // Raw TCP: the same GET through Puck's host port (a Java splice) vs straight to the sprite's address.
                int tcpPort = w.exposeTcp(8080).url().getPort();
                alternate(iterations * 150, tcpViaPuck, () -> firstByte("127.0.0.1", tcpPort, "x"), tcpDirect, () -> firstByte(ip, 8080, "x"));
                wakes(iterations, w, podman, raw, rawIp, tcpFirstByte, tcpRawRestore, new ArrayList<>(), () -> firstByte("127.0.0.1", tcpPort, "x"));
            } finally {
                for (String n : List.of(web, raw)) {
                    puck.find(n).ifPresent(s -> s.delete(DeletePolicy.PURGE));
                }
                String config = "caddy run --config " + caddyDir.resolve("caddy.json");
                ProcessHandle.allProcesses().filter(h -> h.info().commandLine().map(c -> c.contains(config)).orElse(false)).forEach(ProcessHandle::destroy);
            }
        }
        Files.writeString(report, report(iterations));
        System.out.print(report(iterations));
    }

    /** Times two tasks {@code n} times each after 50 warm-ups, alternating which goes first. */
    private static void alternate(int n, List<Double> intoA, Task a, List<Double> intoB, Task b) throws Exception {
        for (int i = -50; i < n; i++) {
            boolean keep = i >= 0;
            if (i % 2 == 0) {
                time(keep, intoA, a);
                time(keep, intoB, b);
            } else {
                time(keep, intoB, b);
                time(keep, intoA, a);
            }
        }
    }

    /**
     * Hibernates the sprite behind Puck and checkpoints the raw one, then times {@code first} (the
     * first byte, which wakes Puck's) and a raw restore with a direct request, in alternating order.
     */
    private static void wakes(int iterations, Sprite w, PodmanClient podman, String raw, String rawIp, List<Double> firstInto,
            List<Double> restoreInto, List<Double> restoreAndRequestInto, Task first) throws Exception {
        for (int i = -2; i < iterations; i++) {
            boolean keep = i >= 0;
            w.hibernate();
            Bench.post(podman, "/containers/puck-" + raw + "/checkpoint?tcpEstablished=true&fileLocks=true");
            Task restore = () -> {
                long t0 = System.nanoTime();
                Bench.post(podman, "/containers/puck-" + raw + "/restore?tcpEstablished=true&fileLocks=true");
                double restored = (System.nanoTime() - t0) / 1e6;
                directGet(rawIp);
                if (keep) {
                    restoreInto.add(restored);
                    restoreAndRequestInto.add((System.nanoTime() - t0) / 1e6);
                }
            };
            if (i % 2 == 0) {
                time(keep, firstInto, first);
                restore.run();
            } else {
                restore.run();
                time(keep, firstInto, first);
            }
        }
    }

    private interface Task {
        void run() throws Exception;
    }

    private static void time(boolean keep, List<Double> into, Task task) throws Exception {
        long t0 = System.nanoTime();
        task.run();
        double ms = (System.nanoTime() - t0) / 1e6;
        if (keep) {
            into.add(ms);
        }
    }

    /** Sends a GET and waits for the first byte of the answer; then reads it to the end. */
    private static void firstByte(int port, String host) throws IOException {
        firstByte("127.0.0.1", port, host);
    }

    /** The same, connecting to {@code address:port}. */
    private static void firstByte(String address, int port, String host) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(address, port));
            s.getOutputStream().write(("GET / HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = s.getInputStream();
            if (in.read() != 'H') {
                throw new IOException("no HTTP answer from " + host);
            }
            String rest = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
            if (!rest.startsWith("TTP/1.1 200") && !rest.startsWith("TTP/1.0 200")) {
                throw new IOException(host + " answered " + rest.lines().findFirst().orElse(""));
            }
        }
    }

    /** A GET straight to a sprite's address, to its first byte. */
    private static void directGet(String ip) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(ip, 8080));
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            if (s.getInputStream().read() != 'H') {
                throw new IOException("no HTTP answer from " + ip);
            }
            s.getInputStream().readAllBytes();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private String report(int iterations) {
        double p50 = Bench.pct(viaPuck, 50), b50 = Bench.pct(viaBare, 50), f50 = Bench.pct(firstByte, 50), r50 = Bench.pct(rawRestore, 50);
        return "# Network benchmark\n\n"
                + "Run " + Instant.now() + " on " + Runtime.getRuntime().availableProcessors() + " cores, Java " + Runtime.version() + ". "
                + viaPuck.size() + " awake requests per side and " + iterations + " wakes per side after warm-ups, sides alternating. Times in ms.\n\n"
                + "| measure | p50 | p95 | baseline | baseline p50 | baseline p95 | ratio (p50) | goal |\n|---|---|---|---|---|---|---|---|\n"
                + String.format(Locale.ROOT, "| awake request through Puck's route | %.2f | %.2f | the same through a bare Caddy route | %.2f | %.2f | %.3f | ≤ 1.02 |%n",
                        p50, Bench.pct(viaPuck, 95), b50, Bench.pct(viaBare, 95), p50 / b50)
                + String.format(Locale.ROOT, "| (the same) to a server that keeps connections open, which Caddy reuses | %.2f | %.2f | the same through a bare Caddy route | %.2f | %.2f | %.3f | |%n",
                        Bench.pct(keptViaPuck, 50), Bench.pct(keptViaPuck, 95), Bench.pct(keptViaBare, 50), Bench.pct(keptViaBare, 95),
                        Bench.pct(keptViaPuck, 50) / Bench.pct(keptViaBare, 50))
                + String.format(Locale.ROOT, "| first byte from a hibernated sprite, through Caddy and the activator | %.1f | %.1f | raw libpod restore | %.1f | %.1f | %.3f | ≤ 1.15 |%n",
                        f50, Bench.pct(firstByte, 95), r50, Bench.pct(rawRestore, 95), f50 / r50)
                + String.format(Locale.ROOT, "| (the same) | | | raw libpod restore, then a direct request to its first byte | %.1f | %.1f | %.3f | |%n",
                        Bench.pct(rawRestoreAndRequest, 50), Bench.pct(rawRestoreAndRequest, 95), f50 / Bench.pct(rawRestoreAndRequest, 50))
                + String.format(Locale.ROOT, "| awake TCP connection + GET to its first byte through Puck's host port (Java splice) | %.2f | %.2f | the same straight to the sprite's address | %.2f | %.2f | %.3f | |%n",
                        Bench.pct(tcpViaPuck, 50), Bench.pct(tcpViaPuck, 95), Bench.pct(tcpDirect, 50), Bench.pct(tcpDirect, 95), Bench.pct(tcpViaPuck, 50) / Bench.pct(tcpDirect, 50))
                + String.format(Locale.ROOT, "| first byte over raw TCP from a hibernated sprite (Puck's host port) | %.1f | %.1f | raw libpod restore | %.1f | %.1f | %.3f | ≤ 1.15 |%n",
                        Bench.pct(tcpFirstByte, 50), Bench.pct(tcpFirstByte, 95), Bench.pct(tcpRawRestore, 50), Bench.pct(tcpRawRestore, 95),
                        Bench.pct(tcpFirstByte, 50) / Bench.pct(tcpRawRestore, 50))
                + "\nPuck's route was published while the sprite ran, so it dials the sprite's address as the bare route does; it dials from"
                + " Puck's switch address, where an nftables element sends its connections to the activator while the sprite sleeps (the kernel"
                + " route switch, docs/network.md), and it removes a client's wake header (the activator reads the sprite's name from the Host)."
                + " The bare route dials the same address from wherever Caddy likes and touches no header. The sprite's server in the first row answers each request on a new"
                + " connection (HTTP/1.0), so Caddy opens one per request; the second row's keeps them open, as most servers do.\n"
                + "\nReproduce: `sudo bench/run [iterations]`.\n";
    }
}
