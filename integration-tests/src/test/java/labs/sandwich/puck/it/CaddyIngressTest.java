package labs.sandwich.puck.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import labs.sandwich.puck.Puck;
import labs.sandwich.puck.api.DeletePolicy;
import labs.sandwich.puck.api.Exposure;
import labs.sandwich.puck.api.SleepPolicy;
import labs.sandwich.puck.api.Sprite;
import labs.sandwich.puck.api.SpriteSpec;
import labs.sandwich.puck.api.SpriteState;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sprites' URLs through a real Caddy that Puck starts, in front of real Podman sprites: awake
 * traffic goes Caddy to the sprite; the first request to a sleeping sprite (GET, POST with a
 * body, websocket, server-sent events) is held by the activator, which wakes it once, and is
 * answered. A neighbour's websocket survives a sprite's sleep and wake; bad input gets clear
 * answers; a dead Caddy is started again with its routes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CaddyIngressTest {
    @TempDir
    static Path tmp;
    Puck puck;
    int http;
    Path caddyDir;
    final String tag = Long.toHexString(System.nanoTime() & 0xffffff);
    final String web = "web-" + tag;
    final String other = "other-" + tag;
    final List<String> made = new ArrayList<>();

    @BeforeAll
    void openPuckWithCaddy() throws Exception {
        http = freePort();
        caddyDir = tmp.resolve("caddy");
        puck = Puck.builder().store(tmp.resolve("puck.db")).ingress("caddy").monitorIdle(true).monitorInterval(Duration.ofMillis(200))
                .config("caddy.dir", caddyDir.toString()).config("caddy.http-port", Integer.toString(http))
                .config("caddy.https-port", Integer.toString(freePort())).build();
        for (String n : List.of(web, other)) {
            Sprite s = puck.create(SpriteSpec.named(n).withPorts(8080).withSleep(SleepPolicy.NEVER));
            made.add(n);
            s.writeFile("/root/web.py", Files.readAllBytes(Path.of(getClass().getResource("/web.py").toURI())));
            s.exec("sh", "-c", "nohup python3 /root/web.py 8080 >/dev/null 2>&1 &").orThrow();
            s.exec("sh", "-c", "for i in $(seq 100); do curl -sf localhost:8080/ >/dev/null && exit 0; sleep 0.05; done; exit 1").orThrow();
            assertThat(s.expose(8080).url().toString()).isEqualTo("http://" + n + ".localhost:" + http + "/");
        }
    }

    @AfterAll
    void cleanUp() throws Exception {
        for (String n : made) {
            puck.find(n).ifPresent(s -> s.delete(DeletePolicy.PURGE));
        }
        puck.close();
        labs.sandwich.puck.network.internal.CaddyProcesses.forget(caddyDir);
    }

    private String host(String sprite) {
        return sprite + ".localhost";
    }

    @Test
    void awakeTrafficGoesStraightToTheSpriteAndTheFirstRequestToASleepingOneIsAnswered() throws Exception {
        long before = Long.parseLong(Http.get(http, host(web), "/").body());
        assertThat(Http.get(http, "8080-" + host(web), "/").status()).as("the port name works too").isEqualTo(200);
        assertThat(route(web)).as("awake: Caddy dials the sprite").doesNotContain("127.0.0.1");
        // Caddy keeps its connections to the sprite open between requests; unless going to sleep cuts them, the next request
        // is sent on one, to a sprite that nothing wakes, and waits (it did, with the kernel switch before it cut them).
        puck.get(web).hibernate();
        assertThat(route(web)).as("asleep: Caddy dials the activator").startsWith("127.0.0.1:");
        Http.Response first = Http.get(http, host(web), "/");
        assertThat(first.status()).isEqualTo(200);
        assertThat(Long.parseLong(first.body())).as("the counter went on: memory came back").isEqualTo(before + 2);
        assertThat(puck.get(web).state()).isEqualTo(SpriteState.RUNNING);
        // The route back is switched on its own thread after the wake (the activator serves meanwhile): give it a moment.
        for (long end = System.nanoTime() + 2_000_000_000L; route(web).contains("127.0.0.1") && System.nanoTime() < end; ) {
            Thread.sleep(10);
        }
        assertThat(route(web)).as("awake again: straight to the sprite").doesNotContain("127.0.0.1");

        byte[] body = new byte[200_000];
        new java.util.Random(7).nextBytes(body);
        puck.get(web).hibernate();
        Http.Response post = Http.request(http, host(web), "POST", "/", body, Map.of("Content-Type", "application/octet-stream"));
        assertThat(post.body()).as("the POST body arrived whole").isEqualTo(body.length + " " + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body)));

        puck.get(web).hibernate();
        try (Http.WebSocket ws = new Http.WebSocket(http, host(web), "/ws", Map.of())) {
            assertThat(ws.echo("hello")).as("a websocket opened on a sleeping sprite").isEqualTo("echo hello");
            assertThat(ws.echo("again")).isEqualTo("echo again");
        }

        puck.get(web).hibernate();
        assertThat(events(host(web))).as("server-sent events stream as they are sent").hasSize(3)
                .satisfies(times -> assertThat(Duration.between(times.get(0), times.get(2))).isGreaterThan(Duration.ofMillis(400)));
    }

    @Test
    void fiftyConcurrentFirstRequestsCauseOneRestore() throws Exception {
        puck.get(web).hibernate();
        Instant since = Instant.now();
        List<Future<Integer>> answers = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 50; i++) {
                answers.add(pool.submit(() -> Http.get(http, host(web), "/").status()));
            }
            for (Future<Integer> a : answers) {
                assertThat(a.get()).isEqualTo(200);
            }
        }
        assertThat(SingleFlightWakeTest.restores("puck-" + web, since)).isEqualTo(1);
    }

    @Test
    void aNeighboursSleepAndWakeDoNotDropAnotherSpritesWebsocket() throws Exception {
        try (Http.WebSocket ws = new Http.WebSocket(http, host(other), "/ws", Map.of())) {
            assertThat(ws.echo("before")).isEqualTo("echo before");
            puck.get(web).hibernate();
            assertThat(Http.get(http, host(web), "/").status()).isEqualTo(200);
            puck.get(web).pause();
            assertThat(Http.get(http, host(web), "/").status()).isEqualTo(200);
            assertThat(ws.echo("after")).as("still open across the neighbour's routes changing").isEqualTo("echo after");
        }
    }

    /**
     * Every Caddy config change opens new listening sockets and closes the old ones, which resets
     * connections queued on them: a neighbour's sleep and wake must change where its route leads
     * without changing the config, or other sprites' new connections fail now and then.
     */
    @Test
    void aNeighboursSleepAndWakeChangeNoConfigAndDropNoNewConnection() throws Exception {
        assertThat(Http.get(http, host(other), "/").status()).isEqualTo(200);
        assertThat(Http.get(http, host(web), "/").status()).isEqualTo(200);
        String config = caddyConfig();
        if (ingress().routeSwitch().startsWith("kernel")) {
            assertThat(config).as("published while awake, the route dials the sprite itself, as a bare route does").contains("\"dial\":\"" + route(web) + "\"");
        }
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicInteger answered = new java.util.concurrent.atomic.AtomicInteger();
        List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 4; i++) {
                pool.submit(() -> {
                    while (!done.get()) {
                        try {
                            int status = Http.get(http, host(other), "/").status(); // a new connection each time
                            if (status == 200) {
                                answered.incrementAndGet();
                            } else {
                                failures.add("HTTP " + status);
                            }
                        } catch (IOException e) {
                            failures.add(e.toString());
                        }
                    }
                    return null;
                });
            }
            for (int i = 0; i < 3; i++) {
                puck.get(web).hibernate();
                assertThat(route(web)).startsWith("127.0.0.1:");
                assertThat(Http.get(http, host(web), "/").status()).as("woken by its request").isEqualTo(200);
                for (long end = System.nanoTime() + 2_000_000_000L; route(web).startsWith("127.0.0.1:") && System.nanoTime() < end; ) {
                    Thread.sleep(10);
                }
                assertThat(route(web)).as("awake again: straight to the sprite").doesNotStartWith("127.0.0.1:");
            }
            done.set(true);
        }
        assertThat(caddyConfig()).as("sleep and wake changed only where the route leads, not Caddy's config").isEqualTo(config);
        assertThat(failures).as("the neighbour's new connections while it slept and woke three times").isEmpty();
        assertThat(answered.get()).isGreaterThan(100);
    }

    @Test
    void badInputGetsClearAnswers() throws Exception {
        Http.Response unknown = Http.get(http, "nosuch-" + tag + ".localhost", "/");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.body()).contains("No sprite is exposed at nosuch-" + tag + ".localhost");

        puck.get(web).hibernate();
        puck.get(other).hibernate();
        Http.Response injected = Http.request(http, host(web), "GET", "/", null, Map.of("X-Puck-Wake", other + ":8080"));
        assertThat(injected.status()).isEqualTo(200);
        assertThat(puck.get(other).state()).as("a client's wake header is removed by Caddy").isEqualTo(SpriteState.HIBERNATED);

        try (Exposure nobody = puck.get(other).expose(9999)) {
            Http.Response silent = Http.get(http, "9999-" + host(other), "/");
            assertThat(silent.status()).as("woken, but nothing listens").isEqualTo(503);
            assertThat(silent.body()).contains("does not answer on port 9999");
            assertThat(Http.get(http, "9999-" + host(other), "/").status()).as("awake, nothing listens: Caddy's bad gateway").isEqualTo(502);
        }
        assertThat(Http.get(http, "9999-" + host(other), "/").status()).as("withdrawn").isEqualTo(404);

        assertThat(toActivator("GET / HTTP/1.1\r\n\r\n")).as("the activator asked for no route").startsWith("HTTP/1.1 400");
        assertThat(toActivator("GET / HTTP/1.1\r\nHost: nosuch-" + tag + ".localhost\r\n\r\n")).as("the activator asked for a name nobody exposes")
                .startsWith("HTTP/1.1 404").contains("No sprite is exposed at nosuch-" + tag + ".localhost");
    }

    @Test
    void aDeadCaddyIsStartedAgainWithEveryRoute() throws Exception {
        assertThat(Http.get(http, host(other), "/").status()).isEqualTo(200);
        killCaddy();
        for (String sprite : List.of(other, web)) {
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            int status = 0;
            while (System.nanoTime() < deadline && status != 200) {
                Thread.sleep(200);
                try {
                    status = Http.get(http, host(sprite), "/").status();
                } catch (IOException e) {
                    status = -1;
                }
            }
            assertThat(status).as("the idle monitor's tick restarted Caddy and re-published " + sprite + "'s route").isEqualTo(200);
        }
        assertThat(Files.getPosixFilePermissions(caddyDir.resolve("admin.sock"))).extracting(Object::toString).containsExactlyInAnyOrder("OWNER_READ", "OWNER_WRITE");
    }

    /** @return where the sprite's port 8080 route leads now */
    private String route(String sprite) {
        return ingress().upstream(sprite, 8080).orElseThrow();
    }

    private labs.sandwich.puck.network.internal.CaddyIngress ingress() {
        return new labs.sandwich.puck.network.internal.CaddyIngress(Path.of("caddy"), caddyDir, "127.0.0.1", http, 0);
    }

    private String caddyConfig() throws IOException {
        return new labs.sandwich.puck.network.internal.CaddyAdmin(caddyDir.resolve("admin.sock")).call("GET", "/config/", null).body();
    }

    /** @return the activator's whole answer to a request sent to it straight */
    private String toActivator(String request) throws Exception {
        try (Socket direct = new Socket("127.0.0.1", activatorPort())) {
            direct.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            return new String(direct.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    private int activatorPort() throws Exception {
        try (var store = labs.sandwich.puck.core.internal.StateStore.open(tmp.resolve("puck.db"), java.time.Clock.systemUTC())) {
            return Integer.parseInt(store.backendState().get("puck", "activator-port").orElseThrow());
        }
    }

    /** @return when each of the stream's events arrived */
    private List<Instant> events(String host) throws IOException {
        List<Instant> at = new ArrayList<>();
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", http), 5000);
            s.setSoTimeout(60_000);
            s.getOutputStream().write(("GET /events HTTP/1.1\r\nHost: " + host + "\r\nAccept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = s.getInputStream();
            StringBuilder line = new StringBuilder();
            for (int b; at.size() < 3 && (b = in.read()) >= 0; ) {
                if (b == '\n') {
                    if (line.toString().contains("data: tick")) {
                        at.add(Instant.now());
                    }
                    line.setLength(0);
                } else {
                    line.append((char) b);
                }
            }
        }
        return at;
    }

    private void killCaddy() {
        labs.sandwich.puck.network.internal.CaddyProcesses.stop(caddyDir);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
