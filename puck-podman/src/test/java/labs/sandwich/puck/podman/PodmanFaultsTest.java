package labs.sandwich.puck.podman;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import labs.sandwich.puck.api.BackendException;
import labs.sandwich.puck.api.SpriteAlreadyExistsException;
import labs.sandwich.puck.api.SpriteInfo;
import labs.sandwich.puck.api.SpriteSpec;
import labs.sandwich.puck.podman.internal.PodmanClient;
import labs.sandwich.puck.podman.internal.PodmanRuntime;
import labs.sandwich.puck.podman.internal.libpod.model.SpecGenerator;
import labs.sandwich.puck.spi.SpriteRuntime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A name held by a foreign container, and a dead service: clear errors, nothing touched. */
class PodmanFaultsTest {
    @TempDir
    Path tmp;

    @Test
    void aForeignContainerHoldingTheNameIsRefusedAndNeverTouched() throws Exception {
        String name = "foreign-" + Long.toHexString(System.nanoTime());
        try (PodmanClient client = new PodmanClient(Path.of("/run/podman/podman.sock")); SpriteRuntime runtime = PodmanTests.runtime()) {
            client.containers().containerCreate(new SpecGenerator().name("puck-" + name).image("localhost/puck/base:bookworm")
                    .labels(Map.of("owner", "someone-else")));
            try {
                assertThatThrownBy(() -> runtime.create(SpriteSpec.named(name)))
                        .isInstanceOf(SpriteAlreadyExistsException.class)
                        .hasMessageContaining("not managed by Puck");
                assertThat(runtime.inspect(name)).as("not adopted").isEmpty();
                assertThat(runtime.list()).extracting(SpriteInfo::name).doesNotContain(name);
                assertThat(client.containers().containerInspect("puck-" + name).getConfig().getLabels()).containsEntry("owner", "someone-else");
            } finally {
                client.containers().containerDelete("puck-" + name, true, true, 0, false);
            }
        }
    }

    @Test
    void aFullDiskDuringASnapshotLeavesTheSpriteRunningAndNoPartialArchive() throws Exception {
        Path tiny = java.nio.file.Files.createDirectories(tmp.resolve("tiny"));
        run("mount", "-t", "tmpfs", "-o", "size=64k", "puck-test-tiny", tiny.toString());
        String name = "full-" + Long.toHexString(System.nanoTime());
        try (PodmanRuntime runtime = new PodmanRuntime(new PodmanClient(Path.of("/run/podman/podman.sock")), Clock.systemUTC(), tiny, Optional.empty())) {
            runtime.create(SpriteSpec.named(name));
            try {
                assertThatThrownBy(() -> runtime.snapshot(name, labs.sandwich.puck.api.SnapshotId.random(), "x"))
                        .isInstanceOfSatisfying(BackendException.class, e -> {
                            assertThat(e.getMessage()).containsIgnoringCase("no space left");
                            assertThat(e.remedy()).hasValueSatisfying(r -> assertThat(r).contains("free disk space", "keeps running"));
                        });
                assertThat(runtime.inspect(name).orElseThrow().state()).isEqualTo(labs.sandwich.puck.api.SpriteState.RUNNING);
                assertThat(runtime.exec(name, labs.sandwich.puck.api.ExecRequest.of("echo", "fine")).stdout()).isEqualTo("fine\n");
                try (var left = java.nio.file.Files.list(tiny)) {
                    assertThat(left).as("no partial archive left behind").isEmpty();
                }
            } finally {
                runtime.delete(name, labs.sandwich.puck.api.DeletePolicy.PURGE);
            }
        } finally {
            run("umount", tiny.toString());
        }
    }

    private static void run(String... argv) throws Exception {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as("%s: %s", String.join(" ", argv), out).isZero();
    }

    @Test
    void aSpriteThatCannotStartLeavesNeitherContainerNorVolumes() throws Exception {
        String name = "nostart-" + Long.toHexString(System.nanoTime());
        String tag = "localhost/puck-test/broken-" + Long.toHexString(System.nanoTime()) + ":1";
        java.nio.file.Files.writeString(tmp.resolve("Containerfile"), "FROM localhost/puck/base:bookworm\nENTRYPOINT [\"/no/such/init\"]\n");
        try (PodmanClient client = new PodmanClient(Path.of("/run/podman/podman.sock")); SpriteRuntime runtime = PodmanTests.runtime()) {
            runtime.buildImage(tmp, "Containerfile", labs.sandwich.puck.api.ImageRef.of(tag));
            assertThatThrownBy(() -> runtime.create(SpriteSpec.named(name).withImage(tag))).isInstanceOf(BackendException.class);
            assertThat(runtime.inspect(name)).isEmpty();
            String filter = client.filters(Map.of("label", java.util.List.of("puck.sprite=" + name)));
            assertThat(client.volumes().volumeList(filter)).as("the empty volumes made for it are gone too").isEmpty();
        } finally {
            new ProcessBuilder("podman", "rmi", "-f", tag).redirectErrorStream(true).start().waitFor();
        }
    }

    @Test
    void purgingASpriteWhoseContainerWasRemovedBehindPucksBackStillRemovesItsVolumesAndNoOneElses() throws Exception {
        String name = "orphan-" + Long.toHexString(System.nanoTime());
        String foreign = "puck-" + name + "-root"; // what Puck would call its /root volume, but made by someone else
        try (PodmanClient client = new PodmanClient(Path.of("/run/podman/podman.sock")); SpriteRuntime runtime = PodmanTests.runtime()) {
            runtime.create(SpriteSpec.named(name));
            run("podman", "rm", "-f", "puck-" + name);
            run("podman", "volume", "rm", foreign);
            run("podman", "volume", "create", foreign);
            assertThatThrownBy(() -> runtime.delete(name, labs.sandwich.puck.api.DeletePolicy.PURGE))
                    .isInstanceOf(labs.sandwich.puck.api.SpriteNotFoundException.class);
            String filter = client.filters(Map.of("label", java.util.List.of("puck.sprite=" + name)));
            assertThat(client.volumes().volumeList(filter)).as("the sprite's own volume is purged").isEmpty();
            assertThat(client.volumes().volumeInspect(foreign).getName()).as("a volume Puck did not make for it is left alone").isEqualTo(foreign);
        } finally {
            new ProcessBuilder("podman", "volume", "rm", "-f", foreign).redirectErrorStream(true).start().waitFor();
        }
    }

    @Test
    void aDeadServiceIsABackendErrorThatSaysHowToStartIt() {
        try (PodmanRuntime runtime = new PodmanRuntime(new PodmanClient(tmp.resolve("dead.sock")), Clock.systemUTC(), tmp, Optional.empty())) {
            assertThatThrownBy(runtime::list)
                    .isInstanceOfSatisfying(BackendException.class, e -> {
                        assertThat(e.getMessage()).contains("cannot reach the Podman service", "dead.sock");
                        assertThat(e.remedy()).hasValueSatisfying(r -> assertThat(r).contains("host-setup.sh"));
                    });
        }
    }
}
