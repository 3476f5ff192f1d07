package labs.sandwich.puck.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.IntStream;
import labs.sandwich.puck.api.Capability;
import labs.sandwich.puck.api.Console;
import labs.sandwich.puck.api.ConsoleRequest;
import labs.sandwich.puck.api.DeletePolicy;
import labs.sandwich.puck.api.ExecRequest;
import labs.sandwich.puck.api.ExecResult;
import labs.sandwich.puck.api.IllegalSpriteStateException;
import labs.sandwich.puck.api.ImageNotFoundException;
import labs.sandwich.puck.api.ImageRef;
import labs.sandwich.puck.api.OperationTimeoutException;
import labs.sandwich.puck.api.PuckException;
import labs.sandwich.puck.api.Readiness;
import labs.sandwich.puck.api.Snapshot;
import labs.sandwich.puck.api.SnapshotCorruptedException;
import labs.sandwich.puck.api.SnapshotId;
import labs.sandwich.puck.api.SnapshotNotFoundException;
import labs.sandwich.puck.api.SpriteAlreadyExistsException;
import labs.sandwich.puck.api.SpriteInfo;
import labs.sandwich.puck.api.SpriteNotFoundException;
import labs.sandwich.puck.api.SpriteSpec;
import labs.sandwich.puck.api.SpriteState;
import labs.sandwich.puck.spi.SpriteRuntime;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The SPI contract as a JUnit 5 suite, in the manner of Micrometer's
 * {@code MeterRegistryCompatibilityKit}: every {@link SpriteRuntime} extends it in its own
 * tests and must pass it. It calls the runtime directly, as the engine does, so it checks the
 * SPI's strict rules (an operation the state does not allow throws; the engine, not the
 * runtime, wakes a sleeping sprite first).
 *
 * <p>Each {@code @Nested} group starts by assuming the runtime declares the capability it
 * tests, so a backend skips exactly what {@link SpriteRuntime#capabilities()} says it cannot
 * do, with {@link SpriteRuntime#unsupportedReason} as the reason, and nothing else. Tests that
 * also need a second capability assume it too.
 *
 * <pre>{@code
 * class PodmanRuntimeCompatibilityTest extends SpriteRuntimeCompatibilityKit {
 *     static SpriteRuntime runtime = ...;   // one instance for the class
 *
 *     protected SpriteRuntime runtime() { return runtime; }
 *     protected void corruptSnapshot(Snapshot s) { ...truncate the stored archive... }
 *     protected void startMemoryWorkload(String sprite) { ...start a server holding a counter in memory... }
 *     protected long readMemoryWorkload(String sprite) { ...ask it for the next value... }
 * }
 * }</pre>
 *
 * Sprites the kit creates are named {@code kit-<word>-<random>} and deleted with
 * {@link DeletePolicy#PURGE} after each test, even when it fails, volumes kept by a
 * {@code delete(KEEP_VOLUMES)} included; so are the snapshots it takes. A runtime that needs
 * another image or readiness for its sprites overrides {@link #spec(String)}.
 */
public abstract class SpriteRuntimeCompatibilityKit {
    private static final Duration EXEC_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration CONSOLE_TIMEOUT = Duration.ofSeconds(30);

    private final List<String> names = new CopyOnWriteArrayList<>();
    private final Set<String> volumesKept = ConcurrentHashMap.newKeySet();
    private final List<Snapshot> snapshots = new CopyOnWriteArrayList<>();

    /** For subclasses. */
    protected SpriteRuntimeCompatibilityKit() {}

    /** @return the runtime under test; the same instance for at least a whole test */
    protected abstract SpriteRuntime runtime();

    /**
     * Damages a snapshot's stored data as a disk error or a truncated copy would, so that its
     * checksum no longer matches. Called only when the runtime declares {@link Capability#SNAPSHOT}.
     *
     * @param snapshot a snapshot the runtime took
     */
    protected abstract void corruptSnapshot(Snapshot snapshot);

    /**
     * Starts, in a running sprite, something whose state lives only in memory: a process holding
     * a counter. The kit never relies on a runtime's own commands for this; each backend provides
     * a workload that proves memory survives on it. Called only when the runtime declares
     * {@link Capability#PAUSE}, {@link Capability#HIBERNATE} or {@link Capability#SNAPSHOT}.
     *
     * @param sprite a running sprite
     */
    protected abstract void startMemoryWorkload(String sprite);

    /**
     * Reads the memory workload: each call returns the previous value plus one. The kit checks
     * that the sequence continues across pause and hibernation, goes back with a restored
     * snapshot, and goes its own way in a fork.
     *
     * @param sprite a running sprite whose workload was started (or restored or forked from one)
     * @return the next value
     */
    protected abstract long readMemoryWorkload(String sprite);

    /**
     * @param name the sprite's name
     * @return the spec the kit creates sprites from; by default {@link SpriteSpec#named(String)}.
     *         Override to change the image or readiness, keeping the name.
     */
    protected SpriteSpec spec(String name) {
        return SpriteSpec.named(name);
    }

    /** @return an image the runtime does not have */
    protected ImageRef absentImage() {
        return ImageRef.of("localhost/puck-kit/absent:never");
    }

    /**
     * Makes network traffic to or from a running sprite, for the test of
     * {@link SpriteRuntime#traffic}. By default it cannot, and that test is skipped.
     *
     * @param sprite a running sprite
     * @return whether it made some
     */
    protected boolean generateTraffic(String sprite) {
        return false;
    }

    /**
     * @param word a short word saying what the sprite is for
     * @return a fresh sprite name, unique to this test; whatever bears it is purged after the test
     */
    protected String newName(String word) {
        String name = "kit-" + word + "-" + UUID.randomUUID().toString().substring(0, 8);
        names.add(name);
        return name;
    }

    /**
     * @param word a short word saying what the sprite is for
     * @return the name of a new running sprite made from {@link #spec(String)}, purged after the test
     */
    protected final String newSprite(String word) {
        String name = newName(word);
        assertThat(runtime().create(spec(name)).state()).as("a created sprite runs").isEqualTo(SpriteState.RUNNING);
        return name;
    }

    /** Purges every sprite the test named (and volumes it kept) and deletes its snapshots, even after a failure. */
    @AfterEach
    void deleteWhatTheTestMade() {
        List<RuntimeException> problems = new ArrayList<>();
        for (String name : names) {
            try {
                if (runtime().inspect(name).isEmpty() && volumesKept.contains(name)) {
                    // Through the SPI, kept volumes are reached only by a sprite of that name.
                    runtime().create(spec(name));
                }
                if (runtime().inspect(name).isPresent()) {
                    runtime().delete(name, DeletePolicy.PURGE);
                }
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
        names.clear();
        volumesKept.clear();
        snapshots.clear();
        assertThat(problems).as("cleaning up after the test").isEmpty();
    }

    // ---- helpers ----

    private boolean has(Capability c) {
        return runtime().capabilities().contains(c);
    }

    private void requireCapability(Capability c) {
        assumeTrue(has(c), () -> runtime().name() + " does not declare " + c + ": " + runtime().unsupportedReason(c));
    }

    private SpriteState state(String sprite) {
        return runtime().inspect(sprite).orElseThrow(() -> new AssertionError(sprite + " is gone")).state();
    }

    private ExecResult run(String sprite, String... argv) {
        return runtime().exec(sprite, ExecRequest.of(argv).withTimeout(EXEC_TIMEOUT));
    }

    private String stdout(String sprite, String... argv) {
        ExecResult r = run(sprite, argv);
        assertThat(r.exitCode()).as("exit status of %s (stderr: %s)", List.of(argv), r.stderr()).isZero();
        return r.stdout();
    }

    private void write(String sprite, String path, byte[] content) {
        runtime().writeFile(sprite, path, new ByteArrayInputStream(content));
    }

    private void write(String sprite, String path, String text) {
        write(sprite, path, utf8(text));
    }

    private byte[] read(String sprite, String path) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        runtime().readFile(sprite, path, out);
        return out.toByteArray();
    }

    private String readText(String sprite, String path) {
        return new String(read(sprite, path), StandardCharsets.UTF_8);
    }

    private void assertNoFile(String sprite, String path) {
        assertThatThrownBy(() -> read(sprite, path)).as("%s should not exist", path).isInstanceOf(PuckException.class);
    }

    private Snapshot snapshot(String sprite, String label) {
        Snapshot s = runtime().snapshot(sprite, SnapshotId.random(), label);
        snapshots.add(s);
        return s;
    }

    private void deleteKeepingVolumes(String sprite) {
        volumesKept.add(sprite);
        runtime().delete(sprite, DeletePolicy.KEEP_VOLUMES);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    // ---- the contract ----

    @Nested
    @DisplayName("Lifecycle: create, inspect, list, delete")
    class Lifecycle {
        @Test
        @DisplayName("traffic counters, where the runtime counts them, grow when the sprite talks")
        void trafficIsCounted() {
            String name = newSprite("traffic");
            java.util.Optional<labs.sandwich.puck.spi.Traffic> before = runtime().traffic(name);
            assumeTrue(before.isPresent(), runtime().name() + " does not count traffic");
            assumeTrue(generateTraffic(name), "this kit subclass cannot make traffic");
            assertThat(runtime().traffic(name)).get().satisfies(after -> assertThat(after.total()).isGreaterThan(before.get().total()));
        }

        @Test
        @DisplayName("a created sprite runs, and inspect and list report it with its spec")
        void createInspectList() {
            String name = newName("life");
            SpriteSpec spec = spec(name).withEnv("KIT_VAR", "kit value").withLabel("kit", "lifecycle");
            SpriteInfo created = runtime().create(spec);
            assertThat(created.name()).isEqualTo(name);
            assertThat(created.state()).isEqualTo(SpriteState.RUNNING);
            SpriteInfo info = runtime().inspect(name).orElseThrow();
            assertThat(info.name()).isEqualTo(name);
            assertThat(info.state()).isEqualTo(SpriteState.RUNNING);
            assertThat(info.runtime()).isEqualTo(runtime().name());
            assertThat(info.spec().image()).isEqualTo(spec.image());
            assertThat(info.spec().env()).containsEntry("KIT_VAR", "kit value");
            assertThat(info.spec().labels()).containsEntry("kit", "lifecycle");
            assertThat(info.stateSince()).as("it entered its state after it was created").isAfterOrEqualTo(info.createdAt());
            assertThat(runtime().list()).extracting(SpriteInfo::name).contains(name);
        }

        @Test
        @DisplayName("a taken name is refused and the sprite holding it is untouched")
        void duplicateName() {
            String name = newSprite("dup");
            assertThatThrownBy(() -> runtime().create(spec(name).withEnv("SECOND", "yes"))).isInstanceOf(SpriteAlreadyExistsException.class);
            SpriteInfo info = runtime().inspect(name).orElseThrow();
            assertThat(info.state()).isEqualTo(SpriteState.RUNNING);
            assertThat(info.spec().env()).doesNotContainKey("SECOND");
        }

        @Test
        @DisplayName("an absent image is refused with a remedy, and nothing is left behind")
        void refusesAbsentImage() {
            String name = newName("img");
            assertThatThrownBy(() -> runtime().create(spec(name).withImage(absentImage())))
                    .isInstanceOfSatisfying(ImageNotFoundException.class, e -> assertThat(e.remedy()).isPresent());
            assertThat(runtime().inspect(name)).isEmpty();
            assertThat(runtime().list()).extracting(SpriteInfo::name).doesNotContain(name);
        }

        @Test
        @DisplayName("every operation on an unknown sprite throws SpriteNotFoundException")
        void unknownSprite() {
            String ghost = newName("ghost");
            assertThat(runtime().inspect(ghost)).isEmpty();
            Map<String, ThrowingCallable> operations = new LinkedHashMap<>();
            operations.put("delete", () -> runtime().delete(ghost, DeletePolicy.KEEP_VOLUMES));
            operations.put("isReady", () -> runtime().isReady(ghost, Readiness.port(8080)));
            if (has(Capability.EXEC)) {
                operations.put("exec", () -> run(ghost, "true"));
            }
            if (has(Capability.CONSOLE)) {
                operations.put("console", () -> runtime().console(ghost, ConsoleRequest.DEFAULT).close());
            }
            if (has(Capability.FILES)) {
                operations.put("writeFile", () -> write(ghost, "/tmp/x", "x"));
                operations.put("readFile", () -> read(ghost, "/tmp/x"));
            }
            if (has(Capability.PAUSE)) {
                operations.put("pause", () -> runtime().pause(ghost));
                operations.put("unpause", () -> runtime().unpause(ghost));
            }
            if (has(Capability.HIBERNATE)) {
                operations.put("hibernate", () -> runtime().hibernate(ghost));
                operations.put("wake", () -> runtime().wake(ghost));
            }
            if (has(Capability.SNAPSHOT)) {
                operations.put("snapshot", () -> runtime().snapshot(ghost, SnapshotId.random(), "x"));
                Snapshot real = snapshot(newSprite("real"), "real");
                operations.put("restore", () -> runtime().restore(ghost, real));
            }
            if (has(Capability.EXPOSE)) {
                operations.put("endpoint", () -> runtime().endpoint(ghost, 8080));
            }
            operations.forEach((operation, call) -> assertThatThrownBy(call).as(operation).isInstanceOf(SpriteNotFoundException.class));
            assertThat(runtime().inspect(ghost)).as("nothing was created by trying").isEmpty();
        }

        @Test
        @DisplayName("delete removes the sprite and frees its name; a second delete finds nothing")
        void delete() {
            String name = newSprite("del");
            runtime().delete(name, DeletePolicy.PURGE);
            assertThat(runtime().inspect(name)).isEmpty();
            assertThat(runtime().list()).extracting(SpriteInfo::name).doesNotContain(name);
            assertThatThrownBy(() -> runtime().delete(name, DeletePolicy.PURGE)).isInstanceOf(SpriteNotFoundException.class);
            assertThat(runtime().create(spec(name)).state()).as("the name is free again").isEqualTo(SpriteState.RUNNING);
        }

        @Test
        @DisplayName("a paused or hibernated sprite can be deleted")
        void deleteInAnyState() {
            assumeTrue(has(Capability.PAUSE) || has(Capability.HIBERNATE), "the runtime can neither pause nor hibernate");
            if (has(Capability.PAUSE)) {
                String paused = newSprite("del-paused");
                runtime().pause(paused);
                runtime().delete(paused, DeletePolicy.PURGE);
                assertThat(runtime().inspect(paused)).isEmpty();
            }
            if (has(Capability.HIBERNATE)) {
                String asleep = newSprite("del-asleep");
                runtime().hibernate(asleep);
                runtime().delete(asleep, DeletePolicy.PURGE);
                assertThat(runtime().inspect(asleep)).isEmpty();
            }
        }

        @Test
        @DisplayName("delete keeps /home and /root for a sprite of the same name, but not the rest; PURGE removes them")
        void volumes() {
            requireCapability(Capability.FILES);
            String name = newSprite("vol");
            write(name, "/root/kit/kept.txt", "kept in /root");
            write(name, "/home/kit-kept.txt", "kept in /home");
            write(name, "/opt/kit-layer.txt", "not a volume");
            deleteKeepingVolumes(name);
            assertThat(runtime().inspect(name)).isEmpty();

            runtime().create(spec(name));
            assertThat(readText(name, "/root/kit/kept.txt")).isEqualTo("kept in /root");
            assertThat(readText(name, "/home/kit-kept.txt")).isEqualTo("kept in /home");
            assertNoFile(name, "/opt/kit-layer.txt");

            runtime().delete(name, DeletePolicy.PURGE);
            runtime().create(spec(name));
            assertNoFile(name, "/root/kit/kept.txt");
            assertNoFile(name, "/home/kit-kept.txt");
        }

        @Test
        @DisplayName("sprites can be created and used from several threads at once")
        void concurrently() throws Exception {
            List<String> sprites = IntStream.range(0, 4).mapToObj(i -> newName("par" + i)).toList();
            List<Future<String>> results = new ArrayList<>();
            try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
                for (String name : sprites) {
                    results.add(threads.submit(() -> {
                        runtime().create(spec(name));
                        return has(Capability.EXEC) ? stdout(name, "echo", name) : name + "\n";
                    }));
                }
                for (int i = 0; i < sprites.size(); i++) {
                    assertThat(results.get(i).get(5, TimeUnit.MINUTES)).isEqualTo(sprites.get(i) + "\n");
                }
            }
            assertThat(runtime().list()).filteredOn(i -> sprites.contains(i.name())).hasSize(sprites.size())
                    .allSatisfy(i -> assertThat(i.state()).isEqualTo(SpriteState.RUNNING));
        }

        @Test
        @DisplayName("readiness on a port nothing listens on is false")
        void closedPort() {
            String name = newSprite("ready");
            assertThat(runtime().isReady(name, Readiness.port(47193))).isFalse();
            assertThat(state(name)).isEqualTo(SpriteState.RUNNING);
        }
    }

    @Nested
    @DisplayName("Exec: an argument vector in, exit status and output back")
    class Exec {
        @BeforeEach
        void declared() {
            requireCapability(Capability.EXEC);
        }

        @Test
        @DisplayName("stdout and exit status 0 come back, and arguments are not interpreted by a shell")
        void echo() {
            String name = newSprite("exec");
            ExecResult r = run(name, "echo", "hello", "$(not expanded)", "*");
            assertThat(r.exitCode()).isZero();
            assertThat(r.succeeded()).isTrue();
            assertThat(r.stdout()).isEqualTo("hello $(not expanded) *\n");
            assertThat(r.stderr()).isEmpty();
            assertThat(r.sprite()).isEqualTo(name);
            assertThat(r.command()).containsExactly("echo", "hello", "$(not expanded)", "*");
            assertThat(r.elapsed()).isGreaterThanOrEqualTo(Duration.ZERO);
        }

        @Test
        @DisplayName("a non-zero exit is a result with its stderr, not an exception")
        void failure() {
            String name = newSprite("fail");
            assertThat(run(name, "false").exitCode()).isEqualTo(1);
            ExecResult r = run(name, "cat", "/kit/no/such/file");
            assertThat(r.exitCode()).isNotZero();
            assertThat(r.stdout()).isEmpty();
            assertThat(r.stderr()).contains("No such file");
        }

        @Test
        @DisplayName("stdin reaches the command")
        void stdin() {
            String name = newSprite("stdin");
            ExecResult r = runtime().exec(name, ExecRequest.of("cat").withStdin("line one\nline two\n").withTimeout(EXEC_TIMEOUT));
            assertThat(r.stdout()).isEqualTo("line one\nline two\n");
        }

        @Test
        @DisplayName("the spec's environment reaches the command, and the request's overrides it")
        void env() {
            String name = newName("env");
            runtime().create(spec(name).withEnv("FROM_SPEC", "spec value").withEnv("BOTH", "spec"));
            ExecRequest request = ExecRequest.of("env").withEnv("FROM_REQUEST", "request value").withEnv("BOTH", "request");
            String out = runtime().exec(name, request.withTimeout(EXEC_TIMEOUT)).stdout();
            assertThat(out.lines()).contains("FROM_SPEC=spec value", "FROM_REQUEST=request value", "BOTH=request").doesNotContain("BOTH=spec");
        }

        @Test
        @DisplayName("the command runs in the requested working directory")
        void workdir() {
            String name = newSprite("pwd");
            ExecResult r = runtime().exec(name, ExecRequest.of("pwd").withWorkdir("/tmp").withTimeout(EXEC_TIMEOUT));
            assertThat(r.stdout()).isEqualTo("/tmp\n");
        }

        @Test
        @DisplayName("a command past its timeout is stopped with OperationTimeoutException, and the sprite still works")
        void timeout() {
            String name = newSprite("slow");
            long start = System.nanoTime();
            assertThatThrownBy(() -> runtime().exec(name, ExecRequest.of("sleep", "30").withTimeout(Duration.ofMillis(500))))
                    .isInstanceOfSatisfying(OperationTimeoutException.class, e -> assertThat(e.timeout()).isEqualTo(Duration.ofMillis(500)));
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
            assertThat(stdout(name, "echo", "alive")).isEqualTo("alive\n");
        }

        @Test
        @DisplayName("exec on a hibernated sprite is refused with IllegalSpriteStateException: the engine, not the runtime, wakes it")
        void hibernated() {
            requireCapability(Capability.HIBERNATE);
            String name = newSprite("sleepy");
            runtime().hibernate(name);
            assertThatThrownBy(() -> run(name, "true"))
                    .isInstanceOfSatisfying(IllegalSpriteStateException.class, e -> assertThat(e.state()).isEqualTo(SpriteState.HIBERNATED));
            assertThat(state(name)).isEqualTo(SpriteState.HIBERNATED);
        }

        @Test
        @DisplayName("command readiness follows the command's exit status")
        void commandReadiness() {
            String name = newSprite("ready-cmd");
            assertThat(runtime().isReady(name, Readiness.command("true"))).isTrue();
            assertThat(runtime().isReady(name, Readiness.command("false"))).isFalse();
        }
    }

    @Nested
    @DisplayName("Files: bytes in and out, unchanged")
    class Files {
        @BeforeEach
        void declared() {
            requireCapability(Capability.FILES);
        }

        @Test
        @DisplayName("text, every byte value and 5 MiB come back exactly, with parent directories created")
        void roundTrip() {
            String name = newSprite("files");
            write(name, "/root/a/b/c.txt", "héllo\n");
            assertThat(readText(name, "/root/a/b/c.txt")).isEqualTo("héllo\n");
            byte[] every = new byte[256];
            for (int i = 0; i < every.length; i++) {
                every[i] = (byte) i;
            }
            write(name, "/tmp/every.bin", every);
            assertThat(read(name, "/tmp/every.bin")).isEqualTo(every);
            byte[] big = new byte[5 << 20];
            new Random(42).nextBytes(big);
            write(name, "/tmp/big.bin", big);
            assertThat(read(name, "/tmp/big.bin")).isEqualTo(big);
            write(name, "/tmp/every.bin", "replaced");
            assertThat(readText(name, "/tmp/every.bin")).isEqualTo("replaced");
            write(name, "/tmp/empty", new byte[0]);
            assertThat(read(name, "/tmp/empty")).isEmpty();
        }

        @Test
        @DisplayName("reading a missing file throws a PuckException that names the path")
        void missing() {
            String name = newSprite("nofile");
            assertThatThrownBy(() -> read(name, "/kit/no/such/file")).isInstanceOf(PuckException.class).hasMessageContaining("/kit/no/such/file");
        }

        @Test
        @DisplayName("files and commands see the same file system")
        void sharedWithExec() {
            requireCapability(Capability.EXEC);
            String name = newSprite("shared");
            write(name, "/tmp/kit-shared.txt", "from writeFile");
            assertThat(stdout(name, "cat", "/tmp/kit-shared.txt")).isEqualTo("from writeFile");
            stdout(name, "mkdir", "-p", "/tmp/kit-dir");
            stdout(name, "touch", "/tmp/kit-dir/made-by-exec");
            assertThat(read(name, "/tmp/kit-dir/made-by-exec")).isEmpty();
        }
    }

    @Nested
    @DisplayName("Pause: frozen in place, resumed in place")
    class Pause {
        @BeforeEach
        void declared() {
            requireCapability(Capability.PAUSE);
        }

        @Test
        @DisplayName("pause and unpause follow the state table, and a paused sprite runs nothing")
        void stateRules() {
            String name = newSprite("pause");
            assertThatThrownBy(() -> runtime().unpause(name)).as("unpause a running sprite").isInstanceOf(IllegalSpriteStateException.class);
            runtime().pause(name);
            assertThat(state(name)).isEqualTo(SpriteState.PAUSED);
            assertThatThrownBy(() -> runtime().pause(name)).as("pause a paused sprite").isInstanceOf(IllegalSpriteStateException.class);
            if (has(Capability.EXEC)) {
                assertThatThrownBy(() -> run(name, "true")).as("exec in a paused sprite").isInstanceOf(IllegalSpriteStateException.class);
            }
            if (has(Capability.HIBERNATE)) {
                assertThatThrownBy(() -> runtime().hibernate(name)).as("hibernate a paused sprite").isInstanceOf(IllegalSpriteStateException.class);
            }
            assertThat(state(name)).as("refusals changed nothing").isEqualTo(SpriteState.PAUSED);
            runtime().unpause(name);
            assertThat(state(name)).isEqualTo(SpriteState.RUNNING);
        }

        @Test
        @DisplayName("memory is kept across pause and unpause")
        void memoryKept() {
            String name = newSprite("pause-mem");
            startMemoryWorkload(name);
            long before = readMemoryWorkload(name);
            runtime().pause(name);
            runtime().unpause(name);
            assertThat(readMemoryWorkload(name)).isEqualTo(before + 1);
        }
    }

    @Nested
    @DisplayName("Hibernate: memory to disk and back")
    class Hibernate {
        @BeforeEach
        void declared() {
            requireCapability(Capability.HIBERNATE);
        }

        @Test
        @DisplayName("a process's memory continues across hibernate and wake")
        void memorySurvives() {
            String name = newSprite("hib");
            startMemoryWorkload(name);
            long before = readMemoryWorkload(name);
            runtime().hibernate(name);
            assertThat(state(name)).isEqualTo(SpriteState.HIBERNATED);
            runtime().wake(name);
            assertThat(state(name)).isEqualTo(SpriteState.RUNNING);
            assertThat(readMemoryWorkload(name)).isEqualTo(before + 1);
        }

        @Test
        @DisplayName("files, in volumes and outside them, are kept across hibernate and wake")
        void filesSurvive() {
            requireCapability(Capability.FILES);
            String name = newSprite("hib-files");
            write(name, "/root/kit-volume.txt", "volume");
            write(name, "/opt/kit-layer.txt", "layer");
            runtime().hibernate(name);
            runtime().wake(name);
            assertThat(readText(name, "/root/kit-volume.txt")).isEqualTo("volume");
            assertThat(readText(name, "/opt/kit-layer.txt")).isEqualTo("layer");
        }

        @Test
        @DisplayName("hibernate and wake follow the state table, and a hibernated sprite is reached by nothing but wake, restore and delete")
        void stateRules() {
            String name = newSprite("rules");
            assertThatThrownBy(() -> runtime().wake(name)).as("wake a running sprite").isInstanceOf(IllegalSpriteStateException.class);
            runtime().hibernate(name);
            assertThatThrownBy(() -> runtime().hibernate(name)).as("hibernate twice").isInstanceOf(IllegalSpriteStateException.class);
            assertThatThrownBy(() -> runtime().isReady(name, Readiness.port(47193))).as("readiness").isInstanceOf(IllegalSpriteStateException.class);
            if (has(Capability.PAUSE)) {
                assertThatThrownBy(() -> runtime().pause(name)).as("pause").isInstanceOf(IllegalSpriteStateException.class);
                assertThatThrownBy(() -> runtime().unpause(name)).as("unpause").isInstanceOf(IllegalSpriteStateException.class);
            }
            if (has(Capability.FILES)) {
                assertThatThrownBy(() -> write(name, "/tmp/x", "x")).as("writeFile").isInstanceOf(IllegalSpriteStateException.class);
                assertThatThrownBy(() -> read(name, "/etc/hostname")).as("readFile").isInstanceOf(IllegalSpriteStateException.class);
            }
            if (has(Capability.SNAPSHOT)) {
                assertThatThrownBy(() -> snapshot(name, "asleep")).as("snapshot").isInstanceOf(IllegalSpriteStateException.class);
            }
            assertThat(state(name)).as("refusals changed nothing").isEqualTo(SpriteState.HIBERNATED);
            runtime().wake(name);
            assertThat(state(name)).isEqualTo(SpriteState.RUNNING);
        }
    }

    @Nested
    @DisplayName("Archive: checkpoint exported, the rest freed")
    class Archive {
        @BeforeEach
        void declared() {
            requireCapability(Capability.HIBERNATE);
            requireCapability(Capability.ARCHIVE);
        }

        @Test
        @DisplayName("an archived sprite is listed as ARCHIVED and wakes with its memory and files")
        void memoryAndFilesSurvive() {
            String name = newSprite("arch");
            startMemoryWorkload(name);
            long before = readMemoryWorkload(name);
            if (has(Capability.FILES)) {
                write(name, "/root/kit-archived.txt", "kept");
            }
            runtime().hibernate(name);
            runtime().archive(name);
            assertThat(state(name)).isEqualTo(SpriteState.ARCHIVED);
            assertThat(runtime().list()).filteredOn(i -> i.name().equals(name)).singleElement()
                    .satisfies(i -> assertThat(i.state()).isEqualTo(SpriteState.ARCHIVED));
            runtime().wake(name);
            assertThat(state(name)).isEqualTo(SpriteState.RUNNING);
            assertThat(readMemoryWorkload(name)).isEqualTo(before + 1);
            if (has(Capability.FILES)) {
                assertThat(readText(name, "/root/kit-archived.txt")).isEqualTo("kept");
            }
        }

        @Test
        @DisplayName("only a hibernated sprite can be archived, and an archived one can be deleted")
        void stateRules() {
            String name = newSprite("arch-rules");
            assertThatThrownBy(() -> runtime().archive(name)).as("archive a running sprite").isInstanceOf(IllegalSpriteStateException.class);
            assertThat(state(name)).isEqualTo(SpriteState.RUNNING);
            runtime().hibernate(name);
            runtime().archive(name);
            assertThatThrownBy(() -> runtime().archive(name)).as("archive twice").isInstanceOf(IllegalSpriteStateException.class);
            assertThatThrownBy(() -> runtime().hibernate(name)).as("hibernate an archived sprite").isInstanceOf(IllegalSpriteStateException.class);
            assertThat(state(name)).as("refusals changed nothing").isEqualTo(SpriteState.ARCHIVED);
            runtime().delete(name, DeletePolicy.PURGE);
            assertThat(runtime().inspect(name)).isEmpty();
        }
    }

    @Nested
    @DisplayName("Snapshots: memory, files and volumes, checked by SHA-256")
    class Snapshots {
        @BeforeEach
        void declared() {
            requireCapability(Capability.SNAPSHOT);
        }

        @Test
        @DisplayName("a snapshot reports its sprite, label, size, checksum and contents, and the sprite keeps running")
        void metadata() {
            String name = newSprite("meta");
            SnapshotId id = SnapshotId.random();
            Snapshot s = runtime().snapshot(name, id, "first");
            snapshots.add(s);
            assertThat(s.id()).isEqualTo(id);
            assertThat(s.sprite()).isEqualTo(name);
            assertThat(s.label()).isEqualTo("first");
            assertThat(s.sizeBytes()).isPositive();
            assertThat(s.sha256()).matches("[0-9a-f]{64}");
            assertThat(s.contents()).containsExactlyInAnyOrder(Snapshot.Content.MEMORY, Snapshot.Content.FILESYSTEM, Snapshot.Content.VOLUMES);
            assertThat(state(name)).isEqualTo(SpriteState.RUNNING);
        }

        @Test
        @DisplayName("restore brings memory, files and volumes back as they were, and files made later disappear")
        void restore() {
            requireCapability(Capability.FILES);
            String name = newSprite("restore");
            write(name, "/root/kit-state.txt", "before");
            write(name, "/opt/kit/state.txt", "before");
            startMemoryWorkload(name);
            long atSnapshot = readMemoryWorkload(name);
            Snapshot s = snapshot(name, "before");
            write(name, "/root/kit-state.txt", "after");
            write(name, "/opt/kit/state.txt", "after");
            write(name, "/root/kit-new.txt", "new");
            assertThat(readMemoryWorkload(name)).isEqualTo(atSnapshot + 1);

            runtime().restore(name, s);
            assertThat(state(name)).isEqualTo(SpriteState.RUNNING);
            assertThat(readMemoryWorkload(name)).as("memory as at the snapshot").isEqualTo(atSnapshot + 1);
            assertThat(readText(name, "/root/kit-state.txt")).as("volume as at the snapshot").isEqualTo("before");
            assertThat(readText(name, "/opt/kit/state.txt")).as("file system as at the snapshot").isEqualTo("before");
            assertNoFile(name, "/root/kit-new.txt");
        }

        @Test
        @DisplayName("a hibernated sprite can be restored, and runs afterwards")
        void restoreHibernated() {
            requireCapability(Capability.HIBERNATE);
            String name = newSprite("restore-hib");
            startMemoryWorkload(name);
            long atSnapshot = readMemoryWorkload(name);
            Snapshot s = snapshot(name, "x");
            readMemoryWorkload(name);
            runtime().hibernate(name);
            runtime().restore(name, s);
            assertThat(state(name)).isEqualTo(SpriteState.RUNNING);
            assertThat(readMemoryWorkload(name)).isEqualTo(atSnapshot + 1);
        }

        @Test
        @DisplayName("a paused sprite can be restored, and runs afterwards")
        void restorePaused() {
            requireCapability(Capability.PAUSE);
            String name = newSprite("restore-pause");
            startMemoryWorkload(name);
            long atSnapshot = readMemoryWorkload(name);
            Snapshot s = snapshot(name, "x");
            readMemoryWorkload(name);
            runtime().pause(name);
            runtime().restore(name, s);
            assertThat(state(name)).isEqualTo(SpriteState.RUNNING);
            assertThat(readMemoryWorkload(name)).isEqualTo(atSnapshot + 1);
        }

        @Test
        @DisplayName("a corrupted snapshot is refused with SnapshotCorruptedException, and the sprite's state, files and memory are untouched")
        void corrupted() {
            requireCapability(Capability.FILES);
            String name = newSprite("corrupt");
            startMemoryWorkload(name);
            Snapshot s = snapshot(name, "x");
            write(name, "/root/kit-current.txt", "current");
            long before = readMemoryWorkload(name);
            corruptSnapshot(s);
            assertThatThrownBy(() -> runtime().restore(name, s)).isInstanceOf(SnapshotCorruptedException.class);
            assertThat(state(name)).isEqualTo(SpriteState.RUNNING);
            assertThat(readText(name, "/root/kit-current.txt")).isEqualTo("current");
            assertThat(readMemoryWorkload(name)).isEqualTo(before + 1);
        }

        @Test
        @DisplayName("a deleted snapshot cannot be restored, and deleting it again is harmless")
        void deleted() {
            String name = newSprite("delsnap");
            Snapshot s = snapshot(name, "gone");
            runtime().deleteSnapshot(s);
            runtime().deleteSnapshot(s);
            assertThatThrownBy(() -> runtime().restore(name, s)).isInstanceOfAny(SnapshotCorruptedException.class, SnapshotNotFoundException.class);
            assertThat(state(name)).isEqualTo(SpriteState.RUNNING);
        }

        @Test
        @DisplayName("only a running sprite can be snapshotted")
        void onlyWhenRunning() {
            assumeTrue(has(Capability.PAUSE) || has(Capability.HIBERNATE), "the runtime can neither pause nor hibernate");
            String name = newSprite("snap-rules");
            if (has(Capability.PAUSE)) {
                runtime().pause(name);
                assertThatThrownBy(() -> snapshot(name, "paused")).isInstanceOf(IllegalSpriteStateException.class);
                runtime().unpause(name);
            }
            if (has(Capability.HIBERNATE)) {
                runtime().hibernate(name);
                assertThatThrownBy(() -> snapshot(name, "asleep")).isInstanceOf(IllegalSpriteStateException.class);
            }
        }
    }

    @Nested
    @DisplayName("Fork: a snapshot becomes a second sprite with its own state")
    class Fork {
        @BeforeEach
        void declared() {
            requireCapability(Capability.SNAPSHOT);
            requireCapability(Capability.FORK);
        }

        @Test
        @DisplayName("a fork runs beside its parent, each with its own memory and files")
        void independent() {
            requireCapability(Capability.FILES);
            String parent = newSprite("parent");
            write(parent, "/root/kit-inherited.txt", "from the parent");
            startMemoryWorkload(parent);
            long atSnapshot = readMemoryWorkload(parent);
            Snapshot s = snapshot(parent, "base");
            String child = newName("child");
            SpriteInfo info = runtime().fork(s, spec(child));
            assertThat(info.name()).isEqualTo(child);
            assertThat(info.state()).isEqualTo(SpriteState.RUNNING);
            assertThat(state(parent)).isEqualTo(SpriteState.RUNNING);
            assertThat(readText(child, "/root/kit-inherited.txt")).isEqualTo("from the parent");
            assertThat(readMemoryWorkload(child)).isEqualTo(atSnapshot + 1);
            assertThat(readMemoryWorkload(child)).isEqualTo(atSnapshot + 2);
            assertThat(readMemoryWorkload(parent)).as("the parent's memory is its own").isEqualTo(atSnapshot + 1);
            write(child, "/root/kit-only-child.txt", "child");
            assertNoFile(parent, "/root/kit-only-child.txt");
        }

        @Test
        @DisplayName("forking onto a taken name is refused")
        void takenName() {
            String parent = newSprite("fork-taken");
            Snapshot s = snapshot(parent, "base");
            assertThatThrownBy(() -> runtime().fork(s, spec(parent))).isInstanceOf(SpriteAlreadyExistsException.class);
            assertThat(state(parent)).isEqualTo(SpriteState.RUNNING);
        }

        @Test
        @DisplayName("a corrupted snapshot is not forked, and no sprite is left behind")
        void corrupted() {
            String parent = newSprite("fork-corrupt");
            Snapshot s = snapshot(parent, "base");
            corruptSnapshot(s);
            String child = newName("fork-none");
            assertThatThrownBy(() -> runtime().fork(s, spec(child))).isInstanceOf(SnapshotCorruptedException.class);
            assertThat(runtime().inspect(child)).isEmpty();
        }
    }

    @Nested
    @DisplayName("Console: an interactive session")
    class ConsoleSession {
        @BeforeEach
        void declared() {
            requireCapability(Capability.CONSOLE);
        }

        @Test
        @DisplayName("a typed command runs, its output comes back, and exit ends the session with its status")
        void typeReadExit() {
            requireCapability(Capability.FILES);
            String name = newSprite("console");
            // The marker is never typed, so finding it in the output proves the command ran (a terminal echoes what is typed).
            String marker = "kit-marker-" + UUID.randomUUID();
            write(name, "/tmp/kit-console.txt", marker + "\n");
            try (Console c = runtime().console(name, ConsoleRequest.DEFAULT)) {
                type(c, "cat /tmp/kit-console.txt\n", "exit 3\n");
                assertThat(outputUntilEnd(c)).contains(marker);
                assertThat(c.waitFor(CONSOLE_TIMEOUT)).hasValue(3);
            }
        }

        @Test
        @DisplayName("the terminal takes the size it is given")
        void resize() {
            String name = newSprite("console-size");
            try (Console c = runtime().console(name, ConsoleRequest.DEFAULT.withSize(100, 30))) {
                c.resize(120, 40);
                type(c, "stty size\n", "exit\n");
                assertThat(outputUntilEnd(c)).contains("40 120");
                assertThat(c.waitFor(CONSOLE_TIMEOUT)).hasValue(0);
            }
        }

        private void type(Console c, String... lines) {
            try {
                for (String line : lines) {
                    c.input().write(utf8(line));
                }
                c.input().flush();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** Reads the output until the session ends it, failing rather than hanging if it never does. */
        private String outputUntilEnd(Console c) {
            CompletableFuture<byte[]> all = new CompletableFuture<>();
            Thread.ofVirtual().start(() -> {
                try {
                    all.complete(c.output().readAllBytes());
                } catch (IOException | RuntimeException e) {
                    all.completeExceptionally(e);
                }
            });
            try {
                return new String(all.get(CONSOLE_TIMEOUT.toSeconds(), TimeUnit.SECONDS), StandardCharsets.UTF_8);
            } catch (TimeoutException e) {
                return fail("the console's output did not end within %s of exit", CONSOLE_TIMEOUT);
            } catch (ExecutionException e) {
                throw new AssertionError("reading the console's output failed", e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
