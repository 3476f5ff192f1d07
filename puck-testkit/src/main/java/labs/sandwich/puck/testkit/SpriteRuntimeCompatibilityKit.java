package labs.sandwich.puck.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import labs.sandwich.puck.api.Capability;
import labs.sandwich.puck.api.Console;
import labs.sandwich.puck.api.DeletePolicy;
import labs.sandwich.puck.api.ExecRequest;
import labs.sandwich.puck.api.ExecResult;
import labs.sandwich.puck.api.IllegalSpriteStateException;
import labs.sandwich.puck.api.ImageNotFoundException;
import labs.sandwich.puck.api.ImageRef;
import labs.sandwich.puck.api.OperationTimeoutException;
import labs.sandwich.puck.api.PuckException;
import labs.sandwich.puck.api.Snapshot;
import labs.sandwich.puck.api.SnapshotCorruptedException;
import labs.sandwich.puck.api.SnapshotId;
import labs.sandwich.puck.api.SpriteAlreadyExistsException;
import labs.sandwich.puck.api.SpriteInfo;
import labs.sandwich.puck.api.SpriteNotFoundException;
import labs.sandwich.puck.api.SpriteSpec;
import labs.sandwich.puck.api.SpriteState;
import labs.sandwich.puck.spi.SpriteRuntime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The SPI contract as a test suite: every {@link SpriteRuntime} extends this in its own tests
 * and must pass it. Each {@code @Nested} group starts by assuming the runtime declares the
 * capability it tests, so a backend skips exactly what it says it cannot do, and nothing else.
 *
 * <pre>{@code
 * class PodmanCompatibilityTest extends SpriteRuntimeCompatibilityKit {
 *     protected SpriteRuntime runtime() { ... }
 *     protected void corruptSnapshot(Snapshot s) { ... truncate the archive ... }
 *     protected void startMemoryWorkload(String sprite) { ... start a process holding a counter ... }
 *     protected long readMemoryWorkload(String sprite) { ... ask it for the next value ... }
 * }
 * }</pre>
 *
 * Sprites the kit creates are named {@code kit-…} and deleted with {@link DeletePolicy#PURGE}
 * after each test, even when it fails.
 */
public abstract class SpriteRuntimeCompatibilityKit {
    private final List<String> created = new CopyOnWriteArrayList<>();
    private final List<Snapshot> snapshots = new CopyOnWriteArrayList<>();

    /** @return the runtime under test; the same instance for a whole test */
    protected abstract SpriteRuntime runtime();

    /**
     * Damages a snapshot's stored data as a disk error or a truncated copy would.
     *
     * @param snapshot a snapshot the runtime took
     */
    protected abstract void corruptSnapshot(Snapshot snapshot);

    /**
     * Starts, in a running sprite, something whose state lives only in memory (a process
     * holding a counter). Only needed for runtimes with {@link Capability#HIBERNATE} or
     * {@link Capability#SNAPSHOT}.
     *
     * @param sprite a running sprite
     */
    protected abstract void startMemoryWorkload(String sprite);

    /**
     * Reads the memory workload: each call returns the previous value plus one. The kit
     * checks that the sequence continues across hibernation and goes back with a snapshot.
     *
     * @param sprite a running sprite with the workload started
     * @return the next value
     */
    protected abstract long readMemoryWorkload(String sprite);

    /**
     * @param name the sprite's name
     * @return the spec the kit creates sprites with; override to change image or readiness
     */
    protected SpriteSpec spec(String name) {
        return SpriteSpec.named(name);
    }

    /** @return an image the runtime does not have */
    protected ImageRef absentImage() {
        return ImageRef.of("localhost/puck-kit/absent:never");
    }

    /** @param prefix a short word @return a fresh sprite name, deleted after the test */
    protected String newName(String prefix) {
        String name = "kit-" + prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        created.add(name);
        return name;
    }

    /** @param prefix a short word @return a new running sprite, deleted after the test */
    protected String newSprite(String prefix) {
        String name = newName(prefix);
        SpriteInfo info = runtime().create(spec(name));
        assertThat(info.state()).isEqualTo(SpriteState.RUNNING);
        return name;
    }

    private Snapshot snapshot(String sprite, String label) {
        Snapshot s = runtime().snapshot(sprite, SnapshotId.random(), label);
        snapshots.add(s);
        return s;
    }

    /** Deletes what the test made, even after a failure. */
    @AfterEach
    void cleanUp() {
        List<Throwable> problems = new ArrayList<>();
        for (String name : created) {
            try {
                runtime().delete(name, DeletePolicy.PURGE);
            } catch (SpriteNotFoundException gone) {
                // deleted by the test itself
            } catch (RuntimeException e) {
                problems.add(e);
            }
        }
        for (Snapshot s : snapshots) {
            try {
                runtime().deleteSnapshot(s);
            } catch (RuntimeException e) {
                problems.add(e);
            }
        }
        created.clear();
        snapshots.clear();
        assertThat(problems).as("clean-up after the test").isEmpty();
    }

    private void requireCapability(Capability c) {
        assumeTrue(runtime().capabilities().contains(c), () -> runtime().name() + " does not declare " + c + ": " + runtime().unsupportedReason(c));
    }

    private String exec(String sprite, String... argv) {
        ExecResult r = runtime().exec(sprite, ExecRequest.of(argv).withTimeout(Duration.ofSeconds(60)));
        assertThat(r.exitCode()).as("%s: %s", List.of(argv), r.stderr()).isZero();
        return r.stdout();
    }

    private void write(String sprite, String path, byte[] content) {
        runtime().writeFile(sprite, path, new ByteArrayInputStream(content));
    }

    private byte[] read(String sprite, String path) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        runtime().readFile(sprite, path, out);
        return out.toByteArray();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Nested
    @DisplayName("Lifecycle: create, inspect, list, delete")
    class Lifecycle {
        @Test
        @DisplayName("a created sprite runs, and inspect and list see it")
        void createInspectList() {
            String name = newSprite("life");
            SpriteInfo info = runtime().inspect(name).orElseThrow();
            assertThat(info.name()).isEqualTo(name);
            assertThat(info.state()).isEqualTo(SpriteState.RUNNING);
            assertThat(info.runtime()).isEqualTo(runtime().name());
            assertThat(info.spec().image()).isEqualTo(spec(name).image());
            assertThat(runtime().list()).extracting(SpriteInfo::name).contains(name);
        }

        @Test
        @DisplayName("a taken name is refused and the sprite holding it is untouched")
        void duplicateName() {
            String name = newSprite("dup");
            assertThatThrownBy(() -> runtime().create(spec(name))).isInstanceOf(SpriteAlreadyExistsException.class);
            assertThat(runtime().inspect(name).orElseThrow().state()).isEqualTo(SpriteState.RUNNING);
        }

        @Test
        @DisplayName("an absent image is refused and leaves nothing behind")
        void refusesAbsentImage() {
            String name = newName("img");
            assertThatThrownBy(() -> runtime().create(spec(name).withImage(absentImage()))).isInstanceOf(ImageNotFoundException.class);
            assertThat(runtime().inspect(name)).isEmpty();
        }

        @Test
        @DisplayName("every operation on an unknown sprite says it is not found")
        void unknownSprite() {
            String ghost = newName("ghost");
            assertThat(runtime().inspect(ghost)).isEmpty();
            List<Runnable> ops = new ArrayList<>();
            ops.add(() -> runtime().delete(ghost, DeletePolicy.KEEP_VOLUMES));
            Capability[] caps = {Capability.EXEC, Capability.PAUSE, Capability.PAUSE, Capability.HIBERNATE, Capability.HIBERNATE,
                Capability.SNAPSHOT, Capability.FILES, Capability.FILES};
            Runnable[] calls = {() -> runtime().exec(ghost, ExecRequest.of("true")), () -> runtime().pause(ghost), () -> runtime().unpause(ghost),
                () -> runtime().hibernate(ghost), () -> runtime().wake(ghost), () -> runtime().snapshot(ghost, SnapshotId.random(), "x"),
                () -> write(ghost, "/tmp/x", new byte[1]), () -> read(ghost, "/tmp/x")};
            for (int i = 0; i < caps.length; i++) {
                if (runtime().capabilities().contains(caps[i])) {
                    ops.add(calls[i]);
                }
            }
            for (Runnable op : ops) {
                assertThatThrownBy(op::run).isInstanceOf(SpriteNotFoundException.class);
            }
        }

        @Test
        @DisplayName("delete removes the sprite")
        void delete() {
            String name = newSprite("del");
            runtime().delete(name, DeletePolicy.PURGE);
            assertThat(runtime().inspect(name)).isEmpty();
            assertThat(runtime().list()).extracting(SpriteInfo::name).doesNotContain(name);
        }

        @Test
        @DisplayName("volumes survive a delete and come back with the name; PURGE removes them")
        void volumes() {
            requireCapability(Capability.FILES);
            String name = newSprite("vol");
            write(name, "/root/kept.txt", utf8("kept"));
            runtime().delete(name, DeletePolicy.KEEP_VOLUMES);
            runtime().create(spec(name));
            assertThat(read(name, "/root/kept.txt")).isEqualTo(utf8("kept"));
            runtime().delete(name, DeletePolicy.PURGE);
            runtime().create(spec(name));
            assertThatThrownBy(() -> read(name, "/root/kept.txt")).isInstanceOf(PuckException.class);
        }
    }

    @Nested
    @DisplayName("Exec: argv in, exit code and output back")
    class Exec {
        @Test
        @DisplayName("stdout and the exit code come back")
        void echo() {
            requireCapability(Capability.EXEC);
            String name = newSprite("exec");
            ExecResult r = runtime().exec(name, ExecRequest.of("echo", "hello", "$(not expanded)"));
            assertThat(r.exitCode()).isZero();
            assertThat(r.stdout()).isEqualTo("hello $(not expanded)\n");
            assertThat(r.sprite()).isEqualTo(name);
        }

        @Test
        @DisplayName("a non-zero exit is a result with stderr, not an exception")
        void failure() {
            requireCapability(Capability.EXEC);
            String name = newSprite("fail");
            assertThat(runtime().exec(name, ExecRequest.of("false")).exitCode()).isEqualTo(1);
            ExecResult r = runtime().exec(name, ExecRequest.of("cat", "/no/such/file"));
            assertThat(r.exitCode()).isNotZero();
            assertThat(r.stderr()).contains("No such file");
        }

        @Test
        @DisplayName("stdin reaches the command")
        void stdin() {
            requireCapability(Capability.EXEC);
            String name = newSprite("stdin");
            assertThat(runtime().exec(name, ExecRequest.of("cat").withStdin("line one\nline two\n")).stdout()).isEqualTo("line one\nline two\n");
        }

        @Test
        @DisplayName("the spec's and the request's environment reach the command")
        void env() {
            requireCapability(Capability.EXEC);
            String name = newName("env");
            runtime().create(spec(name).withEnv("FROM_SPEC", "spec-value"));
            String out = runtime().exec(name, ExecRequest.of("env").withEnv("FROM_REQUEST", "request value")).stdout();
            assertThat(out).contains("FROM_SPEC=spec-value", "FROM_REQUEST=request value");
        }

        @Test
        @DisplayName("a command past its timeout is stopped with OperationTimeoutException, and the sprite still works")
        void timeout() {
            requireCapability(Capability.EXEC);
            String name = newSprite("slow");
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> runtime().exec(name, ExecRequest.of("sleep", "30").withTimeout(Duration.ofMillis(500))))
                    .isInstanceOf(OperationTimeoutException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(20));
            assertThat(exec(name, "echo", "alive")).isEqualTo("alive\n");
        }

        @Test
        @DisplayName("exec on a hibernated sprite is refused at the SPI (the engine wakes it first)")
        void hibernated() {
            requireCapability(Capability.EXEC);
            requireCapability(Capability.HIBERNATE);
            String name = newSprite("sleepy");
            runtime().hibernate(name);
            assertThatThrownBy(() -> runtime().exec(name, ExecRequest.of("true"))).isInstanceOf(IllegalSpriteStateException.class);
        }
    }

    @Nested
    @DisplayName("Files: bytes in and out, unchanged")
    class Files {
        @Test
        @DisplayName("text, every byte value and 5 MiB come back exactly, parents created")
        void roundTrip() {
            requireCapability(Capability.FILES);
            String name = newSprite("files");
            write(name, "/root/a/b/c.txt", utf8("héllo\n"));
            assertThat(read(name, "/root/a/b/c.txt")).isEqualTo(utf8("héllo\n"));
            byte[] all = new byte[256];
            for (int i = 0; i < all.length; i++) {
                all[i] = (byte) i;
            }
            write(name, "/tmp/all.bin", all);
            assertThat(read(name, "/tmp/all.bin")).isEqualTo(all);
            byte[] big = new byte[5 << 20];
            new Random(42).nextBytes(big);
            write(name, "/tmp/big.bin", big);
            assertThat(read(name, "/tmp/big.bin")).isEqualTo(big);
            write(name, "/tmp/all.bin", utf8("replaced"));
            assertThat(read(name, "/tmp/all.bin")).isEqualTo(utf8("replaced"));
        }

        @Test
        @DisplayName("reading a missing file is an error")
        void missing() {
            requireCapability(Capability.FILES);
            String name = newSprite("nofile");
            assertThatThrownBy(() -> read(name, "/no/such/file")).isInstanceOf(PuckException.class);
        }
    }

    @Nested
    @DisplayName("Pause: frozen in place, resumed in place")
    class Pause {
        @Test
        @DisplayName("pause and unpause follow the state table")
        void pauseUnpause() {
            requireCapability(Capability.PAUSE);
            String name = newSprite("pause");
            runtime().pause(name);
            assertThat(runtime().inspect(name).orElseThrow().state()).isEqualTo(SpriteState.PAUSED);
            assertThatThrownBy(() -> runtime().pause(name)).isInstanceOf(IllegalSpriteStateException.class);
            if (runtime().capabilities().contains(Capability.EXEC)) {
                assertThatThrownBy(() -> runtime().exec(name, ExecRequest.of("true"))).isInstanceOf(IllegalSpriteStateException.class);
            }
            runtime().unpause(name);
            assertThat(runtime().inspect(name).orElseThrow().state()).isEqualTo(SpriteState.RUNNING);
            assertThatThrownBy(() -> runtime().unpause(name)).isInstanceOf(IllegalSpriteStateException.class);
        }
    }

    @Nested
    @DisplayName("Hibernate: memory to disk and back")
    class Hibernate {
        @Test
        @DisplayName("a process's memory continues across hibernate and wake")
        void memorySurvives() {
            requireCapability(Capability.HIBERNATE);
            String name = newSprite("hib");
            startMemoryWorkload(name);
            long before = readMemoryWorkload(name);
            runtime().hibernate(name);
            assertThat(runtime().inspect(name).orElseThrow().state()).isEqualTo(SpriteState.HIBERNATED);
            runtime().wake(name);
            assertThat(runtime().inspect(name).orElseThrow().state()).isEqualTo(SpriteState.RUNNING);
            assertThat(readMemoryWorkload(name)).isEqualTo(before + 1);
        }

        @Test
        @DisplayName("hibernate and wake follow the state table")
        void stateRules() {
            requireCapability(Capability.HIBERNATE);
            String name = newSprite("rules");
            assertThatThrownBy(() -> runtime().wake(name)).isInstanceOf(IllegalSpriteStateException.class);
            runtime().hibernate(name);
            assertThatThrownBy(() -> runtime().hibernate(name)).isInstanceOf(IllegalSpriteStateException.class);
            if (runtime().capabilities().contains(Capability.PAUSE)) {
                assertThatThrownBy(() -> runtime().pause(name)).isInstanceOf(IllegalSpriteStateException.class);
            }
            runtime().wake(name);
            runtime().delete(name, DeletePolicy.PURGE);
            assertThat(runtime().inspect(name)).isEmpty();
        }
    }

    @Nested
    @DisplayName("Snapshots: memory, files and volumes, checked by SHA-256")
    class Snapshots {
        @Test
        @DisplayName("a snapshot reports its size, checksum and contents")
        void metadata() {
            requireCapability(Capability.SNAPSHOT);
            String name = newSprite("meta");
            Snapshot s = snapshot(name, "first");
            assertThat(s.sprite()).isEqualTo(name);
            assertThat(s.label()).isEqualTo("first");
            assertThat(s.sizeBytes()).isPositive();
            assertThat(s.sha256()).hasSize(64);
            assertThat(s.contents()).contains(Snapshot.Content.MEMORY, Snapshot.Content.FILESYSTEM);
            assertThat(runtime().inspect(name).orElseThrow().state()).as("it keeps running").isEqualTo(SpriteState.RUNNING);
        }

        @Test
        @DisplayName("restore brings back memory and files as they were")
        void restore() {
            requireCapability(Capability.SNAPSHOT);
            requireCapability(Capability.FILES);
            String name = newSprite("restore");
            write(name, "/root/state.txt", utf8("before"));
            startMemoryWorkload(name);
            long atSnapshot = readMemoryWorkload(name);
            Snapshot s = snapshot(name, "before");
            write(name, "/root/state.txt", utf8("after"));
            write(name, "/root/new.txt", utf8("new"));
            assertThat(readMemoryWorkload(name)).isEqualTo(atSnapshot + 1);
            runtime().restore(name, s);
            assertThat(runtime().inspect(name).orElseThrow().state()).isEqualTo(SpriteState.RUNNING);
            assertThat(readMemoryWorkload(name)).isEqualTo(atSnapshot + 1);
            assertThat(read(name, "/root/state.txt")).isEqualTo(utf8("before"));
            assertThatThrownBy(() -> read(name, "/root/new.txt")).isInstanceOf(PuckException.class);
        }

        @Test
        @DisplayName("a hibernated sprite can be restored")
        void restoreHibernated() {
            requireCapability(Capability.SNAPSHOT);
            requireCapability(Capability.HIBERNATE);
            String name = newSprite("restore-hib");
            startMemoryWorkload(name);
            long at = readMemoryWorkload(name);
            Snapshot s = snapshot(name, "x");
            readMemoryWorkload(name);
            runtime().hibernate(name);
            runtime().restore(name, s);
            assertThat(readMemoryWorkload(name)).isEqualTo(at + 1);
        }

        @Test
        @DisplayName("a corrupted snapshot is refused and the sprite is untouched")
        void corrupted() {
            requireCapability(Capability.SNAPSHOT);
            requireCapability(Capability.FILES);
            String name = newSprite("corrupt");
            startMemoryWorkload(name);
            Snapshot s = snapshot(name, "x");
            write(name, "/root/current.txt", utf8("current"));
            long before = readMemoryWorkload(name);
            corruptSnapshot(s);
            assertThatThrownBy(() -> runtime().restore(name, s)).isInstanceOf(SnapshotCorruptedException.class);
            assertThat(runtime().inspect(name).orElseThrow().state()).isEqualTo(SpriteState.RUNNING);
            assertThat(read(name, "/root/current.txt")).isEqualTo(utf8("current"));
            assertThat(readMemoryWorkload(name)).isEqualTo(before + 1);
        }

        @Test
        @DisplayName("deleting a snapshot twice is harmless")
        void deleteSnapshot() {
            requireCapability(Capability.SNAPSHOT);
            String name = newSprite("delsnap");
            Snapshot s = snapshot(name, "x");
            runtime().deleteSnapshot(s);
            runtime().deleteSnapshot(s);
            assertThat(runtime().inspect(name)).isPresent();
        }
    }

    @Nested
    @DisplayName("Fork: a snapshot becomes a second sprite with its own state")
    class Fork {
        @Test
        @DisplayName("a fork runs beside its parent, each with its own memory and files")
        void fork() {
            requireCapability(Capability.FORK);
            requireCapability(Capability.FILES);
            String parent = newSprite("parent");
            startMemoryWorkload(parent);
            long at = readMemoryWorkload(parent);
            Snapshot s = snapshot(parent, "base");
            String child = newName("child");
            SpriteInfo info = runtime().fork(s, spec(child));
            assertThat(info.state()).isEqualTo(SpriteState.RUNNING);
            assertThat(readMemoryWorkload(child)).isEqualTo(at + 1);
            assertThat(readMemoryWorkload(child)).isEqualTo(at + 2);
            assertThat(readMemoryWorkload(parent)).as("the parent's memory is its own").isEqualTo(at + 1);
            write(child, "/root/only-child.txt", utf8("child"));
            assertThatThrownBy(() -> read(parent, "/root/only-child.txt")).isInstanceOf(PuckException.class);
        }

        @Test
        @DisplayName("forking onto a taken name is refused")
        void takenName() {
            requireCapability(Capability.FORK);
            String parent = newSprite("p");
            Snapshot s = snapshot(parent, "base");
            assertThatThrownBy(() -> runtime().fork(s, spec(parent))).isInstanceOf(SpriteAlreadyExistsException.class);
        }
    }

    @Nested
    @DisplayName("Console: an interactive session")
    class ConsoleSession {
        @Test
        @DisplayName("typed commands run and exit returns its status")
        void typeAndExit() throws IOException {
            requireCapability(Capability.CONSOLE);
            requireCapability(Capability.FILES);
            String name = newSprite("console");
            try (Console c = runtime().console(name, labs.sandwich.puck.api.ConsoleRequest.DEFAULT)) {
                c.resize(120, 40);
                c.input().write(utf8("touch /tmp/kit-console-proof\n"));
                c.input().write(utf8("exit 3\n"));
                c.input().flush();
                drain(c, out -> { });
                assertThat(c.waitFor(Duration.ofSeconds(30))).hasValue(3);
            }
            assertThat(read(name, "/tmp/kit-console-proof")).isEmpty();
        }

        private void drain(Console c, Consumer<byte[]> sink) {
            try {
                sink.accept(c.output().readAllBytes());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
