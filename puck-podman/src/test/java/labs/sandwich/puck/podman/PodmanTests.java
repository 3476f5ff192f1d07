package labs.sandwich.puck.podman;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import labs.sandwich.puck.spi.Probe;
import labs.sandwich.puck.spi.SpriteRuntime;
import labs.sandwich.puck.testkit.InMemoryRuntimeContext;

/** Opens the real Podman runtime for tests; the test command's set-up has started the service. */
final class PodmanTests {
    private PodmanTests() {}

    static InMemoryRuntimeContext context(Path dataDir) {
        return new InMemoryRuntimeContext(Clock.systemUTC(), dataDir, Map.of());
    }

    static SpriteRuntime runtime() {
        PodmanRuntimeProvider provider = new PodmanRuntimeProvider();
        InMemoryRuntimeContext context = context(Path.of("target", "podman-test-data").toAbsolutePath());
        Probe probe = provider.probe(context);
        assertThat(probe).as("Podman must be set up for these tests (the README's test command does it): %s", probe)
                .isInstanceOf(Probe.Available.class);
        return provider.create(context);
    }

    /** Starts the memory counter server (port 8080) as a child of the sprite's init, so it hibernates with it. */
    static void startCounter(SpriteRuntime runtime, String sprite) {
        runtime.writeFile(sprite, "/root/counter.py", new java.io.ByteArrayInputStream(
                labs.sandwich.puck.testkit.Workloads.PYTHON_COUNTER_SERVER.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        runtime.exec(sprite, labs.sandwich.puck.api.ExecRequest.of("sh", "-c", "nohup python3 /root/counter.py >/dev/null 2>&1 &")).orThrow();
        long end = System.nanoTime() + java.time.Duration.ofSeconds(10).toNanos();
        while (!runtime.isReady(sprite, labs.sandwich.puck.api.Readiness.port(8080))) {
            assertThat(System.nanoTime()).as("the counter server listens").isLessThan(end);
            pause(50);
        }
    }

    /** @return the counter server's next count */
    static long readCounter(SpriteRuntime runtime, String sprite) {
        var ep = runtime.endpoint(sprite, 8080);
        try {
            var r = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://" + ep.host() + ":" + ep.port() + "/")).timeout(java.time.Duration.ofSeconds(10)).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            return Long.parseLong(r.body().strip());
        } catch (java.io.IOException e) {
            throw new AssertionError("the counter server does not answer", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Runs a host command and asserts it succeeds; @return its output */
    static String run(String... argv) {
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            assertThat(p.waitFor()).as("%s: %s", String.join(" ", argv), out).isZero();
            return out;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
