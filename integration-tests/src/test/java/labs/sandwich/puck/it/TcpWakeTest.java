package labs.sandwich.puck.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import labs.sandwich.puck.Puck;
import labs.sandwich.puck.api.Change;
import labs.sandwich.puck.api.DeletePolicy;
import labs.sandwich.puck.api.ExposureMode;
import labs.sandwich.puck.api.HostPortInUseException;
import labs.sandwich.puck.api.SleepPolicy;
import labs.sandwich.puck.api.Sprite;
import labs.sandwich.puck.api.SpriteSpec;
import labs.sandwich.puck.api.SpriteState;
import labs.sandwich.puck.api.Subscription;
import labs.sandwich.puck.api.event.SpriteEvent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Wake on raw TCP against real Podman: a sprite's port exposed on a host port, and sprites
 * reaching each other as {@code <name>.internal}. A connection to a hibernated sprite wakes it
 * once (however many connect) and its bytes come back intact; a neighbour's open connection
 * survives another sprite's sleep and wake; a port nobody listens on, a taken host port and a
 * wake that fails get clear, prompt answers; another process takes the listeners over.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TcpWakeTest {
    @TempDir
    static Path tmp;
    Puck puck;
    final String tag = Long.toHexString(System.nanoTime() & 0xffffff);
    final String b = "tb-" + tag; // the server that sleeps
    final String a = "ta-" + tag; // a client sprite
    final String c = "tc-" + tag; // a neighbour server that stays awake
    final List<String> made = new ArrayList<>();

    @BeforeAll
    void sprites() throws Exception {
        puck = open();
        for (String n : List.of(b, c, a)) {
            Sprite s = puck.create(SpriteSpec.named(n).withPorts(7000).withSleep(SleepPolicy.NEVER));
            made.add(n);
            s.writeFile("/root/echo.py", resource("/echo.py"));
            s.writeFile("/root/pinger.py", resource("/pinger.py"));
            s.exec("sh", "-c", "nohup python3 /root/echo.py 7000 >/dev/null 2>&1 &").orThrow();
            s.exec("bash", "-c", "for i in $(seq 200); do (exec 3<>/dev/tcp/127.0.0.1/7000) 2>/dev/null && exit 0; sleep 0.05; done; exit 1").orThrow();
        }
    }

    Puck open() {
        return Puck.builder().store(tmp.resolve("puck.db")).monitorIdle(true).monitorInterval(Duration.ofMillis(200)).build();
    }

    @AfterAll
    void cleanUp() {
        for (String n : made) {
            puck.find(n).ifPresent(s -> s.delete(DeletePolicy.PURGE));
        }
        puck.close();
    }

    @Test
    @Order(1)
    void aConnectionToAHibernatedSpritesHostPortWakesItOnceAndItsBytesComeBackIntact() throws Exception {
        Sprite s = puck.get(b);
        URI url = s.exposeTcp(7000).url();
        assertThat(url.getScheme()).isEqualTo("tcp");
        assertThat(url.getHost()).as("private by default").isEqualTo("127.0.0.1");
        assertThat(s.exposeTcp(7000).url()).as("exposing again gives the same port").isEqualTo(url);
        s.hibernate();
        Instant mark = Instant.now();

        byte[] sent = new byte[300_000];
        new Random(7).nextBytes(sent);
        long t0 = System.nanoTime();
        byte[] back = echo(url, sent, Duration.ofSeconds(30));
        long ms = (System.nanoTime() - t0) / 1_000_000;

        assertThat(Arrays.equals(back, sent)).as("300 kB of random bytes echoed intact (took %d ms with the wake)", ms).isTrue();
        assertThat(s.state()).isEqualTo(SpriteState.RUNNING);
        assertThat(wakesSince(b, mark)).hasSize(1).first().extracting(Change::cause).asString().startsWith("tcp: a connection to 127.0.0.1:" + url.getPort());
    }

    @Test
    @Order(2)
    void twentyConcurrentConnectsToAHibernatedSpriteCauseOneRestore() throws Exception {
        Sprite s = puck.get(b);
        URI url = s.exposeTcp(7000).url();
        s.hibernate();
        Instant mark = Instant.now();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<byte[]>> answers = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                byte[] line = ("client " + i + "\n").getBytes(StandardCharsets.US_ASCII);
                answers.add(pool.submit(() -> echo(url, line, Duration.ofSeconds(30))));
            }
            for (int i = 0; i < 20; i++) {
                assertThat(new String(answers.get(i).get(), StandardCharsets.US_ASCII)).isEqualTo("client " + i + "\n");
            }
        }
        assertThat(wakesSince(b, mark)).as("one restore for 20 connections").hasSize(1);
    }

    @Test
    @Order(3)
    void aSpriteReachesAHibernatedNeighbourAsNameDotInternalWhichWakesIt() throws Exception {
        Sprite client = puck.get(a);
        awaitName(client, b);
        puck.get(b).hibernate();
        Instant mark = Instant.now();
        // One connection made while b sleeps, used again after it woke: it is passed through, not dropped.
        String script = "import socket\ns=socket.create_connection(('" + b + ".internal',7000),30)\nf=s.makefile('rb')\n"
                + "for i in range(5):\n    s.sendall(b'line %d\\n' % i)\n    print(f.readline().decode().strip())\n";
        var r = client.exec("python3", "-c", script);
        assertThat(r.stderr()).isEmpty();
        assertThat(r.stdout().strip().split("\n")).containsExactly("line 0", "line 1", "line 2", "line 3", "line 4");
        assertThat(puck.get(b).state()).isEqualTo(SpriteState.RUNNING);
        assertThat(wakesSince(b, mark)).hasSize(1).first().extracting(Change::cause).asString().contains(b + ".internal:7000");
    }

    @Test
    @Order(4)
    void aNeighboursOpenConnectionSurvivesAnotherSpritesHibernateAndWake() throws Exception {
        Sprite client = puck.get(a);
        awaitName(client, c);
        client.exec("sh", "-c", "nohup python3 /root/pinger.py " + c + ".internal 7000 6 /tmp/pinger.out >/dev/null 2>&1 &").orThrow();
        Thread.sleep(700);
        Sprite sleeper = puck.get(b);
        sleeper.hibernate();
        sleeper.wake();
        sleeper.hibernate();
        sleeper.wake();
        String out = "";
        for (int i = 0; i < 100 && out.isEmpty(); i++) {
            Thread.sleep(200);
            out = client.exec("sh", "-c", "cat /tmp/pinger.out 2>/dev/null || true").stdout().strip();
        }
        assertThat(out).as("a's connection to c through c.internal, while b slept and woke twice").matches("ok \\d+");
        assertThat(Integer.parseInt(out.substring(3))).as("a line every ~100 ms for 6 s").isGreaterThan(30);
        assertThat(puck.get(c).state()).isEqualTo(SpriteState.RUNNING);
    }

    @Test
    @Order(5)
    void aPortNobodyListensOnClosesTheConnectionPromptlyAndSaysWhy() throws Exception {
        Sprite s = puck.get(b);
        s.wake();
        URI url = s.exposeTcp(7999).url();
        long t0 = System.nanoTime();
        try (Socket sock = new Socket()) {
            sock.connect(new InetSocketAddress(url.getHost(), url.getPort()), 2000);
            sock.setSoTimeout(10_000);
            assertThat(readAll(sock.getInputStream())).isEmpty();
        }
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("closed, not hung").isLessThan(Duration.ofSeconds(3));
        assertThat(s.history(20)).anySatisfy(ch -> {
            assertThat(ch.operation()).isEqualTo("tcp connection");
            assertThat(ch.outcome()).get().asString().contains("nothing in sprite " + b + " accepts on port 7999");
        });
        s.exposeTcp(7999).close();
    }

    @Test
    @Order(6)
    void aTakenHostPortIsAClearErrorAndNothingIsRecorded() throws Exception {
        try (ServerSocket other = new ServerSocket()) {
            other.bind(new InetSocketAddress("127.0.0.1", 0));
            int port = other.getLocalPort();
            assertThatThrownBy(() -> puck.get(c).exposeTcp(7000, port, ExposureMode.LOCAL))
                    .isInstanceOfSatisfying(HostPortInUseException.class, e -> {
                        assertThat(e.code()).isEqualTo("PUCK-NET-001");
                        assertThat(e.hostPort()).isEqualTo(port);
                        assertThat(e.getMessage()).contains("127.0.0.1:" + port + " is already in use", "Pick another host port");
                    });
            URI taken = puck.get(b).exposeTcp(7000).url();
            assertThatThrownBy(() -> puck.get(c).exposeTcp(7000, taken.getPort(), ExposureMode.LOCAL))
                    .isInstanceOf(HostPortInUseException.class).hasMessageContaining("Puck exposes port 7000 of sprite " + b);
        }
        assertThatThrownBy(() -> puck.get(c).exposeTcp(7000, 0, ExposureMode.TAILNET)).hasMessageContaining("Tailscale");
    }

    @Test
    @Order(7)
    void aWakeThatFailsClosesTheConnectionAndRecordsWhy() throws Exception {
        String d = "td-" + tag;
        Sprite s = puck.create(SpriteSpec.named(d).withSleep(SleepPolicy.NEVER));
        made.add(d);
        URI url = s.exposeTcp(22).url();
        s.hibernate();
        // The checkpoint's images go behind Puck's back: the restore must fail. (Removing the container instead raced the
        // serving process's reconcile, which marks a sprite the runtime lost FAILED and stops forwarding its port.)
        Process inspect = new ProcessBuilder("podman", "inspect", "--format", "{{.StaticDir}}", "puck-" + d).start();
        String userdata = new String(inspect.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
        assertThat(inspect.waitFor()).isZero();
        try (var files = java.nio.file.Files.walk(java.nio.file.Path.of(userdata, "checkpoint"))) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
        assertThat(java.nio.file.Path.of(userdata, "checkpoint")).doesNotExist();
        List<SpriteEvent> failed = new CopyOnWriteArrayList<>();
        try (Subscription sub = puck.events().subscribe(e -> {
            if (e instanceof SpriteEvent.Failed f && f.sprite().equals(d)) {
                failed.add(f);
            }
        })) {
            long t0 = System.nanoTime();
            try (Socket sock = new Socket()) {
                sock.connect(new InetSocketAddress(url.getHost(), url.getPort()), 2000);
                sock.setSoTimeout(30_000);
                assertThat(readAll(sock.getInputStream())).isEmpty();
            }
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("closed, not hung").isLessThan(Duration.ofSeconds(20));
            for (int i = 0; i < 50 && failed.isEmpty(); i++) {
                Thread.sleep(100);
            }
        }
        assertThat(failed).as("a Failed event for the wake").isNotEmpty();
        assertThat(s.history(10)).anySatisfy(ch -> {
            assertThat(ch.operation()).isEqualTo("wake");
            assertThat(ch.cause()).startsWith("tcp: a connection to 127.0.0.1:" + url.getPort());
            assertThat(ch.outcome()).get().asString().startsWith("failed:");
        });
        s.delete(DeletePolicy.PURGE);
        made.remove(d);
        // Puck found no container to delete, so it left the volumes alone: they are this test's to remove.
        Process vols = new ProcessBuilder("podman", "volume", "rm", "-f", "puck-" + d + "-home", "puck-" + d + "-root").redirectErrorStream(true).start();
        vols.getInputStream().readAllBytes();
        assertThat(vols.waitFor()).isZero();
    }

    @Test
    @Order(8)
    void anotherProcessTakesTheListenersOverWhenTheServingOneCloses() throws Exception {
        URI url = puck.get(b).exposeTcp(7000).url();
        Puck second = open(); // stands by: the port is held
        puck.close();
        puck = second;
        byte[] back = new byte[0];
        for (int i = 0; i < 50 && back.length == 0; i++) {
            Thread.sleep(100);
            try {
                back = echo(url, "again\n".getBytes(StandardCharsets.US_ASCII), Duration.ofSeconds(10));
            } catch (IOException refusedUntilTakenOver) {
                // not yet
            }
        }
        assertThat(new String(back, StandardCharsets.US_ASCII)).isEqualTo("again\n");
    }

    // ---- helpers ----

    private List<Change> wakesSince(String sprite, Instant mark) {
        return puck.get(sprite).history(50).stream().filter(ch -> ch.operation().equals("wake") && !ch.startedAt().isBefore(mark)).toList();
    }

    /** Waits until the store's hosts file, the sprite's /etc/hosts, names the other sprite. */
    private static void awaitName(Sprite in, String other) throws InterruptedException {
        for (int i = 0; i < 50; i++) {
            if (in.exec("getent", "hosts", other + ".internal").succeeded()) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError(other + ".internal never resolved in " + in.name() + ": " + in.exec("cat", "/etc/hosts").stdout());
    }

    /** Sends the bytes, half-closes, and reads everything back. */
    static byte[] echo(URI url, byte[] data, Duration timeout) throws Exception {
        try (Socket sock = new Socket()) {
            sock.connect(new InetSocketAddress(url.getHost(), url.getPort()), 2000);
            sock.setSoTimeout((int) timeout.toMillis());
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    sock.getOutputStream().write(data);
                    sock.shutdownOutput();
                } catch (IOException ignored) {
                    // the read fails too
                }
            });
            byte[] back = readAll(sock.getInputStream());
            writer.join();
            return back;
        }
    }

    private static byte[] readAll(InputStream in) throws IOException {
        return in.readAllBytes();
    }

    private byte[] resource(String name) throws Exception {
        return Files.readAllBytes(Path.of(getClass().getResource(name).toURI()));
    }
}
