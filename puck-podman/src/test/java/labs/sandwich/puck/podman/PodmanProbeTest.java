package labs.sandwich.puck.podman;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import labs.sandwich.puck.api.Capability;
import labs.sandwich.puck.podman.internal.PodmanClient;
import labs.sandwich.puck.podman.internal.PodmanRuntime;
import labs.sandwich.puck.podman.internal.libpod.model.Info;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Hosts that cannot checkpoint, which this machine is not: recorded (or derived, see the
 * resources' README) Podman {@code /info} answers and {@code criu check} outputs. Needs no Podman.
 */
class PodmanProbeTest {
    static PodmanClient client;
    static final CriuReport GOOD = new CriuReport(Optional.of(Path.of("/usr/sbin/criu")), "4.2.1", true, 0, text("criu-check-ok.txt"), true);
    static final long ALL_CAPS = 0x1ffffffffffL;

    @BeforeAll
    static void mapper() {
        client = new PodmanClient(Path.of("/nonexistent/podman.sock"));
    }

    @AfterAll
    static void close() {
        client.close();
    }

    private static Info info(String file) {
        try (InputStream in = PodmanProbeTest.class.getResourceAsStream("/libpod/" + file)) {
            return client.json().readValue(in, Info.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String text(String file) {
        try (InputStream in = PodmanProbeTest.class.getResourceAsStream("/libpod/" + file)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    @DisplayName("rootful, CRIU 4.2 that passes criu check, soft-dirty on: checkpoints, nothing to add")
    void aGoodHost() {
        assertThat(PodmanRuntimeProvider.checkpointProblem(info("info.json"), GOOD)).isEmpty();
        assertThat(PodmanRuntimeProvider.caveats(GOOD, ALL_CAPS)).isEmpty();
    }

    @Test
    @DisplayName("rootless Podman: no hibernate, and the reason says CRIU needs root")
    void rootless() {
        assertThat(PodmanRuntimeProvider.checkpointProblem(info("info-rootless.json"), GOOD))
                .hasValueSatisfying(p -> assertThat(p).contains("rootless", "CRIU needs root", "host-setup.sh"));
    }

    @Test
    @DisplayName("a remote service (Podman machine): its CRIU is not this host's")
    void remote() {
        assertThat(PodmanRuntimeProvider.checkpointProblem(info("info-remote.json"), GOOD))
                .hasValueSatisfying(p -> assertThat(p).contains("another machine"));
    }

    @Test
    @DisplayName("no CRIU installed")
    void noCriu() {
        assertThat(PodmanRuntimeProvider.checkpointProblem(info("info.json"), CriuReport.NONE))
                .hasValueSatisfying(p -> assertThat(p).contains("CRIU is not installed"));
    }

    @Test
    @DisplayName("CRIU that cannot dump here: criu check fails, and its own words are in the reason")
    void criuCannotDump() {
        CriuReport old = new CriuReport(Optional.of(Path.of("/usr/sbin/criu")), "3.17.1", true, 1, text("criu-check-vdso.txt"), false);
        assertThat(PodmanRuntimeProvider.checkpointProblem(info("info.json"), old))
                .hasValueSatisfying(p -> assertThat(p).contains("CRIU 3.17.1 cannot checkpoint", "Unexpected rt vDSO area bounds"));
    }

    @Test
    @DisplayName("CRIU 4.1 on Linux 6.18 passes criu check but cannot dump TCP sockets")
    void criuTooOldForTheKernel() {
        CriuReport trixie = new CriuReport(Optional.of(Path.of("/usr/sbin/criu")), "4.1.1", true, 0, text("criu-check-ok.txt"), false);
        assertThat(PodmanRuntimeProvider.checkpointProblem(info("info.json"), trixie))
                .hasValueSatisfying(p -> assertThat(p).contains("4.1.1", "TCP", "6.18", "4.2"));
    }

    @Test
    @DisplayName("a kernel without soft-dirty tracking still checkpoints, and the probe says incremental checkpoints are off")
    void noDirtyTracking() {
        assertThat(text("criu-check-dirty-track.txt")).contains("Dirty tracking is OFF");
        CriuReport here = new CriuReport(GOOD.path(), "4.2.1", true, 0, text("criu-check-ok.txt"), false);
        assertThat(PodmanRuntimeProvider.checkpointProblem(info("info.json"), here)).isEmpty();
        assertThat(PodmanRuntimeProvider.caveats(here, ALL_CAPS)).contains("no incremental checkpoints", "soft-dirty");
        assertThat(PodmanRuntimeProvider.caveats(here, ALL_CAPS & ~(1L << 24))).contains("CAP_SYS_RESOURCE");
        CriuReport notRoot = new CriuReport(GOOD.path(), "4.2.1", false, -1, "", false);
        assertThat(PodmanRuntimeProvider.caveats(notRoot, ALL_CAPS)).contains("not verified", "needs root");
    }

    @Test
    @DisplayName("capabilities(): without checkpoints, HIBERNATE, ARCHIVE, SNAPSHOT, FORK and KEEP_TCP_CONNECTIONS are missing, each with the reason")
    void capabilitiesCarryTheReason() {
        String reason = PodmanRuntimeProvider.checkpointProblem(info("info-rootless.json"), GOOD).orElseThrow();
        try (PodmanRuntime runtime = new PodmanRuntime(new PodmanClient(Path.of("/nonexistent/podman.sock")), Clock.systemUTC(),
                Path.of("target", "probe-test", "snapshots"), Optional.of(reason))) {
            assertThat(runtime.capabilities()).contains(Capability.EXEC, Capability.PAUSE)
                    .doesNotContain(Capability.HIBERNATE, Capability.ARCHIVE, Capability.SNAPSHOT, Capability.FORK, Capability.KEEP_TCP_CONNECTIONS);
            for (Capability c : new Capability[] {Capability.HIBERNATE, Capability.ARCHIVE, Capability.SNAPSHOT, Capability.FORK}) {
                assertThat(runtime.unsupportedReason(c)).isEqualTo(reason);
            }
        }
    }

    @Test
    @DisplayName("this host, read for real: CRIU found, criu check passes, soft-dirty off (HOST.md)")
    void thisHost() {
        CriuReport here = CriuReport.read();
        assertThat(here.path()).isPresent();
        assertThat(here.version()).startsWith("4.");
        assertThat(PodmanRuntimeProvider.checkpointProblem(info("info.json"), here)).isEmpty();
        System.out.println("this host: " + here.version() + ", caveats:" + PodmanRuntimeProvider.caveats(here, PodmanRuntimeProvider.capBnd()));
    }
}
