package labs.sandwich.puck.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import labs.sandwich.puck.Puck;
import labs.sandwich.puck.api.DeletePolicy;
import labs.sandwich.puck.api.ExecRequest;
import labs.sandwich.puck.api.PuckException;
import labs.sandwich.puck.api.Sprite;
import labs.sandwich.puck.api.SpriteSpec;
import labs.sandwich.puck.api.SpriteState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Podman service dies in the middle of an operation: the caller gets a clear error, the
 * sprite and its files survive (its processes belong to conmon, not to the service), and once
 * the service is back the same Puck carries on.
 */
class PodmanServiceRestartTest {
    private static final Path PIDFILE = Path.of("/run/puck-podman-service.pid");

    @TempDir
    Path tmp;

    @Test
    void aServiceKilledMidExecIsAClearErrorAndNothingIsLost() throws Exception {
        String name = "restart-" + Long.toHexString(System.nanoTime());
        try (Puck puck = Puck.builder().store(tmp.resolve("puck.db")).build()) {
            Sprite s = puck.create(SpriteSpec.named(name));
            try {
                s.writeFile("/root/keep.txt", "kept".getBytes());
                CompletableFuture<Object> slow = CompletableFuture.supplyAsync(
                        () -> s.exec(ExecRequest.of("sleep", "20").withTimeout(Duration.ofSeconds(60))));
                Thread.sleep(1500);
                long pid = Long.parseLong(Files.readString(PIDFILE).strip());
                ProcessHandle.of(pid).orElseThrow().destroyForcibly();
                assertThatThrownBy(() -> slow.get(30, TimeUnit.SECONDS))
                        .hasCauseInstanceOf(PuckException.class)
                        .cause().hasMessageContaining("podman");
                restartService();
                assertThat(s.state()).isEqualTo(SpriteState.RUNNING);
                assertThat(s.inspect().state()).as("the container outlived the service").isEqualTo(SpriteState.RUNNING);
                assertThat(new String(s.readFile("/root/keep.txt"))).isEqualTo("kept");
                assertThat(s.exec("echo", "again").stdout()).isEqualTo("again\n");
            } finally {
                s.delete(DeletePolicy.PURGE);
            }
        }
    }

    @Test
    void aSpriteWhoseContainerWasStoppedBehindPucksBackSaysSoAndKeepsItsFiles() throws Exception {
        String name = "stopped-" + Long.toHexString(System.nanoTime());
        try (Puck puck = Puck.builder().store(tmp.resolve("puck.db")).build()) {
            Sprite s = puck.create(SpriteSpec.named(name));
            try {
                Process kill = new ProcessBuilder("podman", "kill", "puck-" + name).redirectErrorStream(true).start();
                assertThat(kill.waitFor()).isZero();
                try (Puck reopened = Puck.builder().store(tmp.resolve("puck.db")).build()) {
                    Sprite again = reopened.get(name);
                    assertThat(again.state()).as("reconciled with what Podman says").isEqualTo(SpriteState.FAILED);
                    assertThatThrownBy(again::wake).hasMessageContaining("stopped, with its memory lost")
                            .hasMessageContaining("files and volumes are kept");
                }
            } finally {
                s.delete(DeletePolicy.PURGE);
            }
        }
    }

    private static void restartService() throws Exception {
        Path script = Path.of("..", "scripts", "host-setup.sh").toAbsolutePath().normalize();
        Process p = new ProcessBuilder("bash", script.toString(), "--yes").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(out).isZero();
    }
}
