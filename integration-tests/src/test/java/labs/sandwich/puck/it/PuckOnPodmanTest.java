package labs.sandwich.puck.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import labs.sandwich.puck.api.DeletePolicy;
import labs.sandwich.puck.api.Sprite;
import labs.sandwich.puck.api.SpriteSpec;
import labs.sandwich.puck.api.SpriteState;
import labs.sandwich.puck.testkit.Workloads;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The user's path: Puck.open() discovers Podman through ServiceLoader, and a sprite sleeps and wakes with its memory. */
class PuckOnPodmanTest {
    @TempDir
    Path tmp;

    @Test
    void discoveredAndUsedEndToEnd() throws Exception {
        String name = "story-" + Long.toHexString(System.nanoTime());
        try (labs.sandwich.puck.Puck puck = puckWithStore()) {
            assertThat(puck.runtimeName()).isEqualTo("podman");
            Sprite s = puck.create(SpriteSpec.named(name).withPorts(8080));
            try {
                s.writeFile("/root/counter.py", Workloads.PYTHON_COUNTER_SERVER.getBytes(StandardCharsets.UTF_8));
                s.exec("sh", "-c", "nohup python3 /root/counter.py >/dev/null 2>&1 &").orThrow();
                s.exec("apt-get", "--version").orThrow();
                s.writeFile("/etc/puck-was-here", "yes".getBytes(StandardCharsets.UTF_8));
                String url = "http://" + s.inspect().attributes().get("ip") + ":8080/";
                long end = System.nanoTime() + 10_000_000_000L;
                while (!get(url).isPresent() && System.nanoTime() < end) {
                    Thread.sleep(50);
                }
                long before = Long.parseLong(get(url).orElseThrow());
                s.hibernate();
                assertThat(s.state()).isEqualTo(SpriteState.HIBERNATED);
                assertThat(s.inspect().attributes()).containsEntry("podman.status", "exited");
                assertThat(new String(s.readFile("/etc/puck-was-here"), StandardCharsets.UTF_8)).as("reading a file woke it").isEqualTo("yes");
                assertThat(s.state()).isEqualTo(SpriteState.RUNNING);
                assertThat(Long.parseLong(get(url).orElseThrow())).as("memory survived").isEqualTo(before + 1);
            } finally {
                s.delete(DeletePolicy.PURGE);
            }
            assertThat(puck.find(name)).isEmpty();
        }
    }

    private labs.sandwich.puck.Puck puckWithStore() {
        return labs.sandwich.puck.Puck.builder().store(tmp.resolve("puck.db")).build();
    }

    private static java.util.Optional<String> get(String url) {
        try {
            var r = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url))
                    .timeout(java.time.Duration.ofSeconds(5)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            return java.util.Optional.of(r.body().strip());
        } catch (Exception e) {
            return java.util.Optional.empty();
        }
    }
}
