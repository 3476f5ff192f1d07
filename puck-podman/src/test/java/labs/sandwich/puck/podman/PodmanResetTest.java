package labs.sandwich.puck.podman;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import labs.sandwich.puck.api.DeletePolicy;
import labs.sandwich.puck.api.ExecRequest;
import labs.sandwich.puck.api.Snapshot;
import labs.sandwich.puck.api.SnapshotId;
import labs.sandwich.puck.api.SpriteSpec;
import labs.sandwich.puck.api.SpriteState;
import labs.sandwich.puck.spi.SpriteRuntime;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A reset point on real Podman: memory (a counter held by a process), the writable layer
 * (files changed, added, deleted, a lower file deleted) and a volume come back exactly as
 * at the snapshot, many times, from running, paused and hibernated; and a reset after the
 * container was replaced falls back to the archive.
 */
class PodmanResetTest {
    static SpriteRuntime runtime;
    final String name = "reset-" + Long.toHexString(System.nanoTime());
    Snapshot snapshot;

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
        if (snapshot != null) {
            runtime.deleteSnapshot(snapshot);
            assertThat(Path.of("target", "podman-test-data", "podman", "snapshots", snapshot.id().value() + ".reset")).doesNotExist();
        }
        runtime.delete(name, DeletePolicy.PURGE);
    }

    @Test
    void resetPutsBackMemoryFilesAndVolumesEveryTime() {
        runtime.create(SpriteSpec.named(name));
        PodmanTests.startCounter(runtime, name);
        sh("mkdir -p /srv/data && echo seeded > /srv/data/a && head -c 3000000 /dev/urandom > /srv/data/big && echo home > /root/in-volume");
        assertThat(PodmanTests.readCounter(runtime, name)).isEqualTo(1);
        snapshot = runtime.snapshotForReset(name, SnapshotId.random(), "seeded");
        assertThat(runtime.inspect(name).orElseThrow().state()).isEqualTo(SpriteState.RUNNING);
        String bigSum = sh("sha256sum /srv/data/big");

        for (int round = 0; round < 3; round++) {
            assertThat(PodmanTests.readCounter(runtime, name)).as("round %d: memory as at the snapshot", round).isEqualTo(2);
            // change everything a test could
            sh("echo changed > /srv/data/a && echo new > /srv/data/b && dd if=/dev/zero of=/srv/data/big bs=4096 count=3 seek=100 conv=notrunc 2>/dev/null"
                    + " && rm -f /etc/debian_version && echo more >> /root/in-volume && mkdir -p /srv/new/deep && touch /srv/new/deep/f");
            assertThat(PodmanTests.readCounter(runtime, name)).isEqualTo(3);
            switch (round) {
                case 1 -> runtime.pause(name);
                case 2 -> runtime.hibernate(name);
                default -> { }
            }
            runtime.reset(name, snapshot);
            assertThat(runtime.inspect(name).orElseThrow().state()).isEqualTo(SpriteState.RUNNING);
            assertThat(read("/srv/data/a")).isEqualTo("seeded\n");
            assertThat(sh("ls /srv/data")).isEqualTo("a\nbig\n");
            assertThat(sh("sha256sum /srv/data/big")).isEqualTo(bigSum);
            assertThat(sh("test -e /srv/new && echo there || echo gone")).isEqualTo("gone\n");
            assertThat(sh("cat /etc/debian_version")).as("a file of the image deleted by the test is back").isNotBlank();
            assertThat(read("/root/in-volume")).isEqualTo("home\n");
        }
        assertThat(PodmanTests.readCounter(runtime, name)).isEqualTo(2);
    }

    @Test
    void aResetAfterTheContainerWasReplacedUsesTheArchive() {
        runtime.create(SpriteSpec.named(name));
        PodmanTests.startCounter(runtime, name);
        sh("echo seeded > /srv-a");
        snapshot = runtime.snapshotForReset(name, SnapshotId.random(), "seeded");
        Snapshot other = runtime.snapshot(name, SnapshotId.random(), "other");
        try {
            runtime.restore(name, other); // a new container: the reset point no longer applies
            sh("echo changed > /srv-a");
            runtime.reset(name, snapshot);
            assertThat(read("/srv-a")).isEqualTo("seeded\n");
            assertThat(PodmanTests.readCounter(runtime, name)).isEqualTo(1);
        } finally {
            runtime.deleteSnapshot(other);
        }
    }

    private String sh(String script) {
        return runtime.exec(name, ExecRequest.of("sh", "-c", script)).orThrow().stdout();
    }

    private String read(String path) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        runtime.readFile(name, path, out);
        return out.toString(StandardCharsets.UTF_8);
    }
}
