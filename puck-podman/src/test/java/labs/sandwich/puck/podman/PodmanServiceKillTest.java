package labs.sandwich.puck.podman;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import labs.sandwich.puck.api.DeletePolicy;
import labs.sandwich.puck.api.PuckException;
import labs.sandwich.puck.api.SpriteSpec;
import labs.sandwich.puck.api.SpriteState;
import labs.sandwich.puck.spi.SpriteRuntime;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The Podman service killed in the middle of a checkpoint. The service runs runc, which runs
 * CRIU; killed, it leaves them to finish or fail on their own, and Podman's record of the
 * container to be repaired when it comes back. Puck must say what is true afterwards.
 */
class PodmanServiceKillTest {
    private static final Path PIDFILE = Path.of("/run/puck-podman-service.pid");

    @Test
    @DisplayName("service killed during hibernate: a PuckException, not a hang; then inspect says RUNNING or HIBERNATED, and the sprite wakes with memory, files and volumes")
    void serviceKilledMidHibernate() throws Exception {
        String name = "podlc-kill-" + Long.toHexString(System.nanoTime());
        SpriteRuntime runtime = PodmanTests.runtime();
        try {
            runtime.create(SpriteSpec.named(name));
            PodmanTests.startCounter(runtime, name);
            assertThat(PodmanTests.readCounter(runtime, name)).isEqualTo(1);
            runtime.writeFile(name, "/root/vol.txt", new ByteArrayInputStream("volume".getBytes(StandardCharsets.UTF_8)));
            runtime.writeFile(name, "/etc/layer.txt", new ByteArrayInputStream("layer".getBytes(StandardCharsets.UTF_8)));

            CompletableFuture<Void> hibernate = CompletableFuture.runAsync(() -> runtime.hibernate(name));
            Thread.sleep(120); // inside the checkpoint (it takes ~300 ms here)
            long pid = Long.parseLong(Files.readString(PIDFILE).strip());
            ProcessHandle.of(pid).orElseThrow().destroyForcibly();
            assertThatThrownBy(() -> hibernate.get(30, TimeUnit.SECONDS)).as("fails at once, no hang")
                    .hasCauseInstanceOf(PuckException.class)
                    .cause().hasMessageContaining("Podman service");
            restartService();

            SpriteState state = runtime.inspect(name).orElseThrow().state();
            System.out.println("after the kill, the sprite is " + state + " " + runtime.inspect(name).orElseThrow().attributes());
            assertThat(state).as("the truth, not FAILED").isIn(SpriteState.RUNNING, SpriteState.HIBERNATED);
            if (state == SpriteState.HIBERNATED) {
                runtime.wake(name);
            }
            assertThat(runtime.inspect(name).orElseThrow().state()).isEqualTo(SpriteState.RUNNING);
            assertThat(PodmanTests.readCounter(runtime, name)).as("memory intact").isEqualTo(2);
            assertThat(read(runtime, name, "/root/vol.txt")).isEqualTo("volume");
            assertThat(read(runtime, name, "/etc/layer.txt")).isEqualTo("layer");
            runtime.hibernate(name);
            runtime.wake(name);
            assertThat(PodmanTests.readCounter(runtime, name)).as("and it hibernates again as usual").isEqualTo(3);
        } finally {
            restartService();
            if (runtime.inspect(name).isPresent()) {
                runtime.delete(name, DeletePolicy.PURGE);
            }
            runtime.close();
        }
    }

    static String read(SpriteRuntime runtime, String sprite, String path) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        runtime.readFile(sprite, path, out);
        return out.toString(StandardCharsets.UTF_8);
    }

    /** What the build's set-up does: idempotent, restarts the service if it does not answer. */
    static void restartService() {
        PodmanTests.run("bash", Path.of("..", "scripts", "host-setup.sh").toAbsolutePath().normalize().toString(), "--yes");
    }
}
