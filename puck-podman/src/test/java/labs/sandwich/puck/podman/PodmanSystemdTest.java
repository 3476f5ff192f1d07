package labs.sandwich.puck.podman;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import labs.sandwich.puck.api.BackendException;
import labs.sandwich.puck.api.DeletePolicy;
import labs.sandwich.puck.api.ExecRequest;
import labs.sandwich.puck.api.ImageRef;
import labs.sandwich.puck.api.SpriteSpec;
import labs.sandwich.puck.api.SpriteState;
import labs.sandwich.puck.spi.SpriteRuntime;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A sprite whose PID 1 is systemd hibernates and wakes with its memory: Puck gives CRIU the configuration it needs. */
class PodmanSystemdTest {
    @TempDir
    Path tmp;

    @Test
    @DisplayName("systemd as PID 1: hibernate and wake keep a service's memory; systemd is still PID 1")
    void systemdSpriteHibernates() throws Exception {
        String tag = "localhost/puck-test/systemd-" + Long.toHexString(System.nanoTime()) + ":1";
        String name = "podlc-systemd-" + Long.toHexString(System.nanoTime());
        // dbus as root: on hosts without CAP_SYS_RESOURCE (these VMs) CRIU dumps only root's processes.
        Files.writeString(tmp.resolve("Containerfile"), """
                FROM localhost/puck/base:bookworm
                RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends systemd systemd-sysv dbus \\
                    && rm -rf /var/lib/apt/lists/*
                RUN printf '<busconfig><user>root</user></busconfig>\\n' > /etc/dbus-1/system-local.conf
                ENTRYPOINT ["/sbin/init"]
                CMD []
                """);
        try (SpriteRuntime runtime = PodmanTests.runtime()) {
            try {
                runtime.buildImage(tmp, "Containerfile", ImageRef.of(tag));
            } catch (BackendException e) {
                Assumptions.abort("cannot build a systemd image here (apt needs the Debian mirror): " + e.getMessage());
            }
            try {
                runtime.create(SpriteSpec.named(name).withImage(tag));
                long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                String boot;
                do {
                    PodmanTests.pause(200);
                    boot = runtime.exec(name, ExecRequest.of("systemctl", "is-system-running")).stdout().strip();
                } while (!boot.equals("running") && !boot.equals("degraded") && System.nanoTime() < end);
                assertThat(boot).as("systemd booted").isIn("running", "degraded");
                runtime.writeFile(name, "/root/counter.py", new ByteArrayInputStream(
                        labs.sandwich.puck.testkit.Workloads.PYTHON_COUNTER_SERVER.getBytes(StandardCharsets.UTF_8)));
                runtime.exec(name, ExecRequest.of("systemd-run", "--unit", "counter", "python3", "/root/counter.py")).orThrow();
                long listen = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (!runtime.isReady(name, labs.sandwich.puck.api.Readiness.port(8080))) {
                    assertThat(System.nanoTime()).as("the counter service listens").isLessThan(listen);
                    PodmanTests.pause(50);
                }
                assertThat(PodmanTests.readCounter(runtime, name)).isEqualTo(1);

                // Right after systemd-run, journald's and D-Bus's sockets may hold messages CRIU cannot dump; hibernate waits for
                // them to drain and tries again (docs/podman.md), so this hibernates at once on purpose, twice.
                for (int i = 1; i <= 3; i++) {
                    runtime.exec(name, ExecRequest.of("systemd-run", "--unit", "blip" + i, "logger", "blip")).orThrow();
                    runtime.hibernate(name);
                    assertThat(runtime.inspect(name).orElseThrow().state()).isEqualTo(SpriteState.HIBERNATED);
                    runtime.wake(name);
                    assertThat(PodmanTests.readCounter(runtime, name)).as("memory kept across hibernation").isEqualTo(1 + i);
                }
                assertThat(runtime.exec(name, ExecRequest.of("cat", "/proc/1/comm")).stdout().strip()).isEqualTo("systemd");
                assertThat(runtime.exec(name, ExecRequest.of("systemctl", "is-active", "counter")).stdout().strip()).isEqualTo("active");
            } finally {
                if (runtime.inspect(name).isPresent()) {
                    runtime.delete(name, DeletePolicy.PURGE);
                }
                PodmanTests.run("podman", "rmi", "-f", tag);
            }
        }
    }
}
