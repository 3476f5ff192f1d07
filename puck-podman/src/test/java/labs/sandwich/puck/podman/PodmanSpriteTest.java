package labs.sandwich.puck.podman;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import labs.sandwich.puck.api.Console;
import labs.sandwich.puck.api.ConsoleRequest;
import labs.sandwich.puck.api.DeletePolicy;
import labs.sandwich.puck.api.ExecRequest;
import labs.sandwich.puck.api.SpriteSpec;
import labs.sandwich.puck.spi.Endpoint;
import labs.sandwich.puck.spi.SpriteRuntime;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What only a real Podman sprite can show: a held TCP connection across hibernation, a real terminal, an installed package. */
class PodmanSpriteTest {
    /** Answers each line on a connection with a count held in memory; keeps the connection open. */
    static final String LINE_COUNTER = """
            import socketserver
            n = [0]
            class H(socketserver.StreamRequestHandler):
                def handle(self):
                    for line in self.rfile:
                        n[0] += 1
                        self.wfile.write((str(n[0]) + "\\n").encode())
                        self.wfile.flush()
            socketserver.ThreadingTCPServer(("", 7000), H).serve_forever()
            """;

    static SpriteRuntime runtime;
    String name = "sprite-" + Long.toHexString(System.nanoTime());

    @BeforeAll
    static void open() {
        runtime = PodmanTests.runtime();
    }

    @AfterAll
    static void close() {
        runtime.close();
    }

    @AfterEach
    void delete() {
        if (!name.startsWith("already-deleted-")) {
            runtime.delete(name, DeletePolicy.PURGE);
        }
    }

    @Test
    void anOpenTcpConnectionSurvivesHibernationAndAnswersOnTheSameSocket() throws Exception {
        runtime.create(SpriteSpec.named(name));
        runtime.writeFile(name, "/root/lines.py", new ByteArrayInputStream(LINE_COUNTER.getBytes(StandardCharsets.UTF_8)));
        runtime.exec(name, ExecRequest.of("sh", "-c", "nohup python3 /root/lines.py >/dev/null 2>&1 &")).orThrow();
        Endpoint ep = runtime.endpoint(name, 7000);
        Socket socket = connect(ep);
        try (socket; PrintWriter out = new PrintWriter(socket.getOutputStream(), true, StandardCharsets.UTF_8);
                BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8))) {
            socket.setSoTimeout(20_000);
            out.println("one");
            assertThat(in.readLine()).isEqualTo("1");
            runtime.hibernate(name);
            // Nothing is sent while it sleeps: with no running container left, Podman removes the
            // bridge and the sleeping sprite's address would route off the machine (HOST.md).
            runtime.wake(name);
            out.println("two");
            assertThat(in.readLine()).as("the same connection, answered from the same memory").isEqualTo("2");
            out.println("three");
            assertThat(in.readLine()).isEqualTo("3");
        }
    }

    @Test
    void theConsoleIsARealTerminalThatResizes() throws Exception {
        runtime.create(SpriteSpec.named(name));
        try (Console c = runtime.console(name, ConsoleRequest.DEFAULT.withSize(100, 30))) {
            StringBuffer screen = new StringBuffer();
            CompletableFuture<Void> reader = CompletableFuture.runAsync(() -> {
                byte[] buf = new byte[4096];
                try {
                    for (int n; (n = c.output().read(buf)) > 0; ) {
                        screen.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                    }
                } catch (Exception ignored) {
                    // closed
                }
            });
            OutputStream keys = c.input();
            keys.write("tty; stty size\n".getBytes(StandardCharsets.UTF_8));
            keys.flush();
            awaitOn(screen, "30 100");
            c.resize(120, 40);
            keys.write("stty size; exit 4\n".getBytes(StandardCharsets.UTF_8));
            keys.flush();
            assertThat(c.waitFor(Duration.ofSeconds(30))).hasValue(4);
            reader.get(10, TimeUnit.SECONDS);
            assertThat(screen.toString()).contains("/dev/pts/", "30 100\r\n", "40 120\r\n");
        }
    }

    private static void awaitOn(StringBuffer screen, String text) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (screen.indexOf(text + "\r\n") < 0) {
            assertThat(System.nanoTime()).as("the screen shows %s; it shows %s", text, screen).isLessThan(end);
            Thread.sleep(20);
        }
    }

    @Test
    void aSpriteStartsFromAnImageBuiltFromAContainerfile(@org.junit.jupiter.api.io.TempDir Path ctx) throws Exception {
        String tag = "localhost/puck-test/built-" + Long.toHexString(System.nanoTime()) + ":1";
        java.nio.file.Files.writeString(ctx.resolve("Containerfile"), "FROM localhost/puck/base:bookworm\nCOPY hello.txt /hello.txt\nRUN echo built > /built\n");
        java.nio.file.Files.writeString(ctx.resolve("hello.txt"), "hello from the context\n");
        try {
            assertThat(runtime.buildImage(ctx, "Containerfile", labs.sandwich.puck.api.ImageRef.of(tag)).reference()).isEqualTo(tag);
            runtime.create(SpriteSpec.named(name).withImage(tag));
            assertThat(runtime.exec(name, ExecRequest.of("cat", "/built", "/hello.txt")).stdout()).isEqualTo("built\nhello from the context\n");
            java.nio.file.Files.writeString(ctx.resolve("Containerfile"), "FROM localhost/puck/base:bookworm\nRUN false\n");
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> runtime.buildImage(ctx, "Containerfile", labs.sandwich.puck.api.ImageRef.of(tag + "-bad")))
                    .isInstanceOf(labs.sandwich.puck.api.BackendException.class)
                    .hasMessageContaining("building " + tag + "-bad");
        } finally {
            runtime.delete(name, DeletePolicy.PURGE);
            new ProcessBuilder("podman", "rmi", "-f", tag).redirectErrorStream(true).start().waitFor();
            name = "already-deleted-" + name;
        }
    }

    @Test
    void resourceLimitsReachTheSpritesCgroup() throws Exception {
        var info = runtime.create(SpriteSpec.builder(name).memoryBytes(256L << 20).cpus(0.5).build());
        Path cgroup = Path.of("/sys/fs/cgroup/memory/libpod_parent/libpod-" + info.attributes().get("container.id"));
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isDirectory(cgroup), "cgroup v1 with cgroupfs, as on these hosts");
        assertThat(java.nio.file.Files.readString(cgroup.resolve("memory.limit_in_bytes")).strip()).isEqualTo(Long.toString(256L << 20));
        Path cpu = Path.of("/sys/fs/cgroup/cpu/libpod_parent/libpod-" + info.attributes().get("container.id"));
        assertThat(java.nio.file.Files.readString(cpu.resolve("cpu.cfs_quota_us")).strip()).isEqualTo("50000");
        assertThat(java.nio.file.Files.readString(cpu.resolve("cpu.cfs_period_us")).strip()).isEqualTo("100000");
    }

    @Test
    void anInstalledPackageAndItsFilesAreThereAfterAWake() {
        runtime.create(SpriteSpec.named(name));
        ExecRequest install = ExecRequest.of("sh", "-c", "apt-get update -qq && apt-get install -y -qq jq >/dev/null").withTimeout(Duration.ofMinutes(5));
        assertThat(runtime.exec(name, install).exitCode()).isZero();
        runtime.writeFile(name, "/root/data.json", new ByteArrayInputStream("{\"puck\": 42}".getBytes(StandardCharsets.UTF_8)));
        runtime.hibernate(name);
        runtime.wake(name);
        assertThat(runtime.exec(name, ExecRequest.of("jq", ".puck", "/root/data.json")).stdout()).isEqualTo("42\n");
    }

    private static Socket connect(Endpoint ep) throws InterruptedException {
        for (int i = 0; ; i++) {
            try {
                return new Socket(ep.host(), ep.port());
            } catch (java.io.IOException e) {
                if (i > 100) {
                    throw new AssertionError("the line counter never listened", e);
                }
                Thread.sleep(50);
            }
        }
    }
}
