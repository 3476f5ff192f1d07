package labs.sandwich.puck.podman;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import labs.sandwich.puck.api.Capability;
import labs.sandwich.puck.api.DeletePolicy;
import labs.sandwich.puck.api.ExecRequest;
import labs.sandwich.puck.api.IllegalSpriteStateException;
import labs.sandwich.puck.api.SleepHooks;
import labs.sandwich.puck.api.SleepPolicy;
import labs.sandwich.puck.api.Snapshot;
import labs.sandwich.puck.api.SnapshotCorruptedException;
import labs.sandwich.puck.api.SnapshotId;
import labs.sandwich.puck.api.SpriteInfo;
import labs.sandwich.puck.api.SpriteSpec;
import labs.sandwich.puck.api.SpriteState;
import labs.sandwich.puck.podman.internal.PodmanClient;
import labs.sandwich.puck.podman.internal.PodmanRuntime;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Archiving on real Podman: memory, files and volumes survive, a damaged archive is refused, an archived sprite is found without its container. */
class PodmanArchiveTest {
    static final Path DATA = Path.of("target", "podman-archive-test").toAbsolutePath();
    static PodmanClient client;
    static PodmanRuntime runtime;
    final String name = "podlc-arc-" + Long.toHexString(System.nanoTime());

    @BeforeAll
    static void open() {
        client = new PodmanClient(Path.of("/run/podman/podman.sock"));
        runtime = newRuntime();
    }

    static PodmanRuntime newRuntime() {
        return new PodmanRuntime(new PodmanClient(Path.of("/run/podman/podman.sock")), Clock.systemUTC(), DATA.resolve("snapshots"), Optional.empty());
    }

    @AfterAll
    static void close() {
        runtime.close();
        client.close();
    }

    @AfterEach
    void delete() {
        if (runtime.inspect(name).isPresent()) {
            runtime.delete(name, DeletePolicy.PURGE);
        }
        assertThat(Files.exists(DATA.resolve("archives").resolve(name + ".tar"))).as("the archive goes with the sprite").isFalse();
    }

    private Path archiveFile() {
        return DATA.resolve("archives").resolve(name + ".tar");
    }

    private boolean containerExists() {
        try {
            client.containers().containerExists("puck-" + name);
            return true;
        } catch (labs.sandwich.puck.podman.internal.libpod.ApiException e) {
            return false;
        }
    }

    private boolean volumeExists(String dir) {
        try {
            client.volumes().volumeExists("puck-" + name + "-" + dir);
            return true;
        } catch (labs.sandwich.puck.podman.internal.libpod.ApiException e) {
            return false;
        }
    }

    private void write(String path, String text) {
        runtime.writeFile(name, path, new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
    }

    private String read(String path) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        runtime.readFile(name, path, out);
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    @DisplayName("archive declared with hibernate; an archived sprite wakes with its memory, its writable layer and its volumes")
    void archiveAndWakeKeepEverything() throws Exception {
        assertThat(runtime.capabilities()).contains(Capability.ARCHIVE, Capability.HIBERNATE);
        SpriteSpec spec = SpriteSpec.named(name).withSleep(new SleepPolicy(Duration.ofSeconds(10), Duration.ofMinutes(2), Duration.ofHours(3)))
                .withHooks(SleepHooks.NONE.withPreSleep("sh", "-c", "sync; echo 'it''s \"done\"' > /tmp/x").withPostWake("hwclock", "--hctosys"))
                .withEnv("GREETING", "hello world").withLabel("team", "a b");
        runtime.create(spec);
        PodmanTests.startCounter(runtime, name);
        assertThat(PodmanTests.readCounter(runtime, name)).isEqualTo(1);
        write("/root/vol.txt", "on a volume");
        write("/etc/layer.txt", "in the writable layer");

        assertThatThrownBy(() -> runtime.archive(name)).as("only from HIBERNATED")
                .isInstanceOfSatisfying(IllegalSpriteStateException.class, e -> assertThat(e.state()).isEqualTo(SpriteState.RUNNING));
        runtime.hibernate(name);
        runtime.archive(name);

        assertThat(containerExists()).as("the container is gone").isFalse();
        assertThat(volumeExists("home") && volumeExists("root")).as("the volumes are kept").isTrue();
        assertThat(archiveFile()).isRegularFile();
        SpriteInfo info = runtime.inspect(name).orElseThrow();
        assertThat(info.state()).isEqualTo(SpriteState.ARCHIVED);
        assertThat(info.spec()).as("the full spec survives, for adoption").isEqualTo(spec);
        assertThat(info.attributes()).containsKey("archive.sha256");
        assertThat(runtime.traffic(name)).as("nothing to count while archived").isEmpty();
        try (PodmanRuntime other = newRuntime()) {
            assertThat(other.list()).as("found without the container, by another runtime on the same data directory")
                    .filteredOn(i -> i.name().equals(name)).singleElement()
                    .satisfies(i -> assertThat(i.state()).isEqualTo(SpriteState.ARCHIVED));
        }
        assertThatThrownBy(() -> runtime.archive(name)).isInstanceOf(IllegalSpriteStateException.class);
        assertThatThrownBy(() -> runtime.hibernate(name)).isInstanceOfSatisfying(IllegalSpriteStateException.class,
                e -> assertThat(e.state()).isEqualTo(SpriteState.ARCHIVED));
        assertThatThrownBy(() -> runtime.exec(name, ExecRequest.of("true"))).isInstanceOf(IllegalSpriteStateException.class);
        assertThatThrownBy(() -> runtime.endpoint(name, 8080)).isInstanceOf(IllegalSpriteStateException.class);
        assertThatThrownBy(() -> runtime.create(SpriteSpec.named(name))).isInstanceOf(labs.sandwich.puck.api.SpriteAlreadyExistsException.class);

        runtime.wake(name);
        assertThat(runtime.inspect(name).orElseThrow().state()).isEqualTo(SpriteState.RUNNING);
        assertThat(PodmanTests.readCounter(runtime, name)).as("memory survived the archive").isEqualTo(2);
        assertThat(read("/root/vol.txt")).isEqualTo("on a volume");
        assertThat(read("/etc/layer.txt")).isEqualTo("in the writable layer");
        assertThat(runtime.exec(name, ExecRequest.of("printenv", "GREETING")).stdout()).isEqualTo("hello world\n");
        assertThat(archiveFile()).as("the archive is dropped once the sprite runs").doesNotExist();
        assertThat(runtime.inspect(name).orElseThrow().spec()).isEqualTo(spec);
    }

    @Test
    @DisplayName("a truncated archive: wake throws SnapshotCorruptedException and deletes nothing; delete without PURGE keeps the volumes")
    void aDamagedArchiveIsRefused() throws Exception {
        runtime.create(SpriteSpec.named(name));
        write("/root/keep.txt", "kept");
        runtime.hibernate(name);
        runtime.archive(name);
        long size = Files.size(archiveFile());
        try (FileChannel ch = FileChannel.open(archiveFile(), StandardOpenOption.WRITE)) {
            ch.truncate(size / 2);
        }
        assertThatThrownBy(() -> runtime.wake(name)).isInstanceOfSatisfying(SnapshotCorruptedException.class,
                e -> assertThat(e.getMessage()).contains(archiveFile().toString(), "bytes"));
        assertThat(runtime.inspect(name).orElseThrow().state()).isEqualTo(SpriteState.ARCHIVED);
        assertThat(archiveFile()).exists();
        assertThat(volumeExists("root")).isTrue();

        runtime.delete(name, DeletePolicy.KEEP_VOLUMES);
        assertThat(runtime.inspect(name)).isEmpty();
        assertThat(archiveFile()).doesNotExist();
        assertThat(volumeExists("root")).as("kept without PURGE").isTrue();
        runtime.create(SpriteSpec.named(name));
        assertThat(read("/root/keep.txt")).isEqualTo("kept");
    }

    @Test
    @DisplayName("restore(snapshot) from ARCHIVED: the snapshot's memory and files, and the archive is gone")
    void restoreFromArchived() {
        runtime.create(SpriteSpec.named(name));
        PodmanTests.startCounter(runtime, name);
        write("/root/v.txt", "before");
        assertThat(PodmanTests.readCounter(runtime, name)).isEqualTo(1);
        Snapshot snap = runtime.snapshot(name, SnapshotId.random(), "one");
        try {
            assertThat(PodmanTests.readCounter(runtime, name)).isEqualTo(2);
            write("/root/v.txt", "after");
            runtime.hibernate(name);
            runtime.archive(name);
            runtime.restore(name, snap);
            assertThat(runtime.inspect(name).orElseThrow().state()).isEqualTo(SpriteState.RUNNING);
            assertThat(read("/root/v.txt")).isEqualTo("before");
            assertThat(PodmanTests.readCounter(runtime, name)).as("the snapshot's memory").isEqualTo(2);
            assertThat(archiveFile()).doesNotExist();
        } finally {
            runtime.deleteSnapshot(snap);
        }
    }

    @Test
    @DisplayName("labels written before the sleep policy (only puck.idle-timeout) still decode")
    void oldLabelsDecode() throws Exception {
        var gen = new labs.sandwich.puck.podman.internal.libpod.model.SpecGenerator().name("puck-" + name).image("localhost/puck/base:bookworm")
                .labels(Map.of("managed-by", "puck", "puck.sprite", name, "puck.idle-timeout", "PT5M", "puck.ports", "8080"));
        client.containers().containerCreate(gen);
        SpriteInfo info = runtime.inspect(name).orElseThrow();
        assertThat(info.spec().idleTimeout()).isEqualTo(Duration.ofMinutes(5));
        assertThat(info.spec().sleep()).isEqualTo(SpriteSpec.named(name).withIdleTimeout(Duration.ofMinutes(5)).sleep());
        assertThat(info.spec().hooks()).isEqualTo(SleepHooks.NONE);
        assertThat(info.spec().ports()).isEqualTo(List.of(8080));
    }
}
