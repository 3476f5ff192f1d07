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

    static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
