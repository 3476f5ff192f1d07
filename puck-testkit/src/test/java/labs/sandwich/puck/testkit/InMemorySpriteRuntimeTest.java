package labs.sandwich.puck.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import labs.sandwich.puck.api.BackendException;
import labs.sandwich.puck.api.ConsoleRequest;
import labs.sandwich.puck.api.DeletePolicy;
import labs.sandwich.puck.api.ExecRequest;
import labs.sandwich.puck.api.ExecResult;
import labs.sandwich.puck.api.IllegalSpriteStateException;
import labs.sandwich.puck.api.ImageNotFoundException;
import labs.sandwich.puck.api.ImageRef;
import labs.sandwich.puck.api.InvalidSpecException;
import labs.sandwich.puck.api.OperationInterruptedException;
import labs.sandwich.puck.api.Readiness;
import labs.sandwich.puck.api.Snapshot;
import labs.sandwich.puck.api.SnapshotId;
import labs.sandwich.puck.api.SnapshotNotFoundException;
import labs.sandwich.puck.api.SpriteNotFoundException;
import labs.sandwich.puck.api.SpriteSpec;
import labs.sandwich.puck.api.SpriteState;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** What the in-memory runtime does beyond the SPI contract, and the rules the kit cannot see from outside. */
class InMemorySpriteRuntimeTest {
    private final TestClock clock = TestClock.start();
    private final InMemorySpriteRuntime rt = InMemorySpriteRuntime.builder().clock(clock).build();

    private String sprite(String name) {
        rt.create(SpriteSpec.named(name));
        return name;
    }

    private ExecResult exec(String sprite, String... argv) {
        return rt.exec(sprite, ExecRequest.of(argv));
    }

    private String out(String sprite, String... argv) {
        return exec(sprite, argv).orThrow().stdout();
    }

    private void write(String sprite, String path, String text) {
        rt.writeFile(sprite, path, new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
    }

    private SpriteState state(String sprite) {
        return rt.inspect(sprite).orElseThrow().state();
    }

    @Nested
    @DisplayName("Hooks for tests")
    class Hooks {
        @Test
        @DisplayName("a hibernated sprite holds no memory, and gets it back on wake")
        void memoryHeld() {
            String s = sprite("m");
            out(s, "counter");
            long awake = rt.memoryHeld(s);
            assertThat(awake).isGreaterThan(MemorySprite.BASE_MEMORY);
            rt.hibernate(s);
            assertThat(rt.memoryHeld(s)).isZero();
            assertThat(rt.inspect(s).orElseThrow().attributes()).containsEntry("memory.bytes", "0");
            rt.wake(s);
            assertThat(rt.memoryHeld(s)).isEqualTo(awake);
            assertThat(out(s, "counter")).isEqualTo("2\n");
            assertThatThrownBy(() -> rt.memoryHeld("nobody")).isInstanceOf(SpriteNotFoundException.class);
        }

        @Test
        @DisplayName("calls are counted per sprite and operation, refused calls included; a misspelt operation is an error")
        void calls() {
            String s = sprite("c");
            rt.hibernate(s);
            assertThatThrownBy(() -> rt.hibernate(s)).isInstanceOf(IllegalSpriteStateException.class);
            assertThat(rt.calls(s, "hibernate")).isEqualTo(2);
            assertThat(rt.calls(s, "create")).isEqualTo(1);
            assertThat(rt.calls(s, "wake")).isZero();
            assertThat(rt.calls("other", "hibernate")).isZero();
            assertThatThrownBy(() -> rt.calls(s, "hibernat")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("hibernate");
        }

        @Test
        @DisplayName("failNext fails the next call once, changing nothing")
        void failNext() {
            String s = sprite("f");
            rt.failNext("hibernate", new BackendException("in-memory", s, 500, "connection reset mid-checkpoint", null, null));
            assertThatThrownBy(() -> rt.hibernate(s)).isInstanceOf(BackendException.class).hasMessageContaining("connection reset");
            assertThat(state(s)).as("a failure changes nothing").isEqualTo(SpriteState.RUNNING);
            rt.hibernate(s);
            assertThat(state(s)).isEqualTo(SpriteState.HIBERNATED);
            assertThat(rt.calls(s, "hibernate")).isEqualTo(2);

            rt.failNext("create", new BackendException("in-memory", "g", 0, "out of space", null, null));
            assertThatThrownBy(() -> rt.create(SpriteSpec.named("g"))).isInstanceOf(BackendException.class);
            assertThat(rt.inspect("g")).isEmpty();
            assertThatThrownBy(() -> rt.failNext("hibernat", new BackendException("in-memory", s, 0, "x", null, null)))
                    .isInstanceOf(IllegalArgumentException.class);
        }

        @Test
        @DisplayName("times come from the clock")
        void clock() {
            String s = sprite("t");
            clock.advance(Duration.ofMinutes(5));
            rt.pause(s);
            var info = rt.inspect(s).orElseThrow();
            assertThat(info.createdAt()).isEqualTo(TestClock.START);
            assertThat(info.stateSince()).isEqualTo(TestClock.START.plus(Duration.ofMinutes(5)));
            rt.unpause(s);
            clock.advance(Duration.ofMinutes(1));
            assertThat(rt.snapshot(s, SnapshotId.random(), "x").createdAt()).isEqualTo(TestClock.START.plus(Duration.ofMinutes(6)));
        }

        @Test
        @DisplayName("only the default image and added images exist")
        void images() {
            ImageRef custom = ImageRef.of("localhost/custom:1");
            assertThatThrownBy(() -> rt.create(SpriteSpec.named("i").withImage(custom)))
                    .isInstanceOfSatisfying(ImageNotFoundException.class, e -> assertThat(e.remedy()).hasValueSatisfying(r -> assertThat(r).contains("addImage")));
            rt.addImage(custom);
            assertThat(rt.create(SpriteSpec.named("i").withImage(custom)).spec().image()).isEqualTo(custom);
        }

        @Test
        @DisplayName("closing releases nothing: sprites stay, and the runtime stays usable")
        void close() {
            String s = sprite("k");
            rt.close();
            assertThat(out(s, "echo", "still")).isEqualTo("still\n");
            assertThat(rt.endpoint(s, 8080).host()).isEqualTo("k.in-memory.invalid");
        }
    }

    @Nested
    @DisplayName("State rules")
    class States {
        /** Brings a new sprite to a stable state. */
        private String in(SpriteState state, String name) {
            String s = sprite(name);
            switch (state) {
                case PAUSED -> rt.pause(s);
                case HIBERNATED -> rt.hibernate(s);
                case ARCHIVED -> {
                    rt.hibernate(s);
                    rt.archive(s);
                }
                default -> { }
            }
            return s;
        }

        private void check(String operation, Set<SpriteState> allowed, SpriteState after, Consumer<String> call) {
            int n = 0;
            for (SpriteState from : List.of(SpriteState.RUNNING, SpriteState.PAUSED, SpriteState.HIBERNATED, SpriteState.ARCHIVED)) {
                String s = in(from, operation.toLowerCase() + "-" + n++);
                if (allowed.contains(from)) {
                    call.accept(s);
                    assertThat(rt.inspect(s).map(i -> i.state())).as("%s from %s", operation, from).isEqualTo(Optional.ofNullable(after));
                } else {
                    assertThatThrownBy(() -> call.accept(s)).as("%s from %s", operation, from)
                            .isInstanceOfSatisfying(IllegalSpriteStateException.class, e -> {
                                assertThat(e.state()).isEqualTo(from);
                                assertThat(e.remedy()).isPresent();
                            });
                    assertThat(state(s)).as("a refused %s changes nothing", operation).isEqualTo(from);
                }
            }
        }

        @Test
        @DisplayName("each operation accepts exactly the states the SPI allows")
        void table() {
            Set<SpriteState> running = Set.of(SpriteState.RUNNING);
            check("pause", running, SpriteState.PAUSED, rt::pause);
            check("unpause", Set.of(SpriteState.PAUSED), SpriteState.RUNNING, rt::unpause);
            check("hibernate", running, SpriteState.HIBERNATED, rt::hibernate);
            check("wake", Set.of(SpriteState.HIBERNATED, SpriteState.ARCHIVED), SpriteState.RUNNING, rt::wake);
            check("archive", Set.of(SpriteState.HIBERNATED), SpriteState.ARCHIVED, rt::archive);
            check("exec", running, SpriteState.RUNNING, s -> exec(s, "true"));
            check("console", running, SpriteState.RUNNING, s -> rt.console(s, ConsoleRequest.DEFAULT).close());
            check("writeFile", running, SpriteState.RUNNING, s -> write(s, "/tmp/x", "x"));
            check("readFile", running, SpriteState.RUNNING, s -> rt.readFile(s, "/etc/hostname", new ByteArrayOutputStream()));
            check("isReady", running, SpriteState.RUNNING, s -> rt.isReady(s, Readiness.port(80)));
            check("snapshot", running, SpriteState.RUNNING, s -> rt.snapshot(s, SnapshotId.random(), "x"));
            check("delete", Set.of(SpriteState.values()), null, s -> rt.delete(s, DeletePolicy.PURGE));
        }

        @Test
        @DisplayName("restore accepts a running, paused, hibernated or archived sprite and leaves it running")
        void restore() {
            for (SpriteState from : List.of(SpriteState.RUNNING, SpriteState.PAUSED, SpriteState.HIBERNATED, SpriteState.ARCHIVED)) {
                String s = sprite("restore-" + from.name().toLowerCase());
                Snapshot snap = rt.snapshot(s, SnapshotId.random(), "x");
                switch (from) {
                    case PAUSED -> rt.pause(s);
                    case HIBERNATED -> rt.hibernate(s);
                    case ARCHIVED -> {
                        rt.hibernate(s);
                        rt.archive(s);
                    }
                    default -> { }
                }
                rt.restore(s, snap);
                assertThat(state(s)).as("restored from %s", from).isEqualTo(SpriteState.RUNNING);
            }
        }

        @Test
        @DisplayName("restore refuses another sprite's snapshot")
        void restoreForeign() {
            Snapshot other = rt.snapshot(sprite("a"), SnapshotId.random(), "x");
            String b = sprite("b");
            assertThatThrownBy(() -> rt.restore(b, other)).isInstanceOf(SnapshotNotFoundException.class);
        }
    }

    @Nested
    @DisplayName("Snapshots")
    class Snapshots {
        @Test
        @DisplayName("the checksum is of the contents: equal for an unchanged sprite, different after a change")
        void checksum() {
            String s = sprite("sum");
            Snapshot first = rt.snapshot(s, SnapshotId.random(), "a");
            Snapshot same = rt.snapshot(s, SnapshotId.random(), "b");
            out(s, "counter");
            Snapshot changed = rt.snapshot(s, SnapshotId.random(), "c");
            assertThat(same.sha256()).isEqualTo(first.sha256());
            assertThat(same.sizeBytes()).isEqualTo(first.sizeBytes());
            assertThat(changed.sha256()).isNotEqualTo(first.sha256());
        }

        @Test
        @DisplayName("an id is used once")
        void idOnce() {
            String s = sprite("ids");
            SnapshotId id = SnapshotId.random();
            rt.snapshot(s, id, "a");
            assertThatThrownBy(() -> rt.snapshot(s, id, "b")).isInstanceOf(InvalidSpecException.class);
        }

        @Test
        @DisplayName("corrupt needs a stored snapshot")
        void corruptUnknown() {
            assertThatThrownBy(() -> rt.corrupt(SnapshotId.random())).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Nested
    @DisplayName("Built-in commands")
    class Commands {
        @Test
        @DisplayName("an unknown program exits 127 with 'command not found', as in a shell")
        void unknown() {
            ExecResult r = exec(sprite("u"), "nosuch", "arg");
            assertThat(r.exitCode()).isEqualTo(127);
            assertThat(r.stderr()).isEqualTo("nosuch: command not found\n");
        }

        @Test
        @DisplayName("files are made, listed, read and removed as with coreutils")
        void files() {
            String s = sprite("f");
            assertThat(exec(s, "write", "/root/x", "y").exitCode()).isZero();
            assertThat(out(s, "ls", "/root")).isEqualTo("x\n");
            assertThat(out(s, "cat", "x")).as("relative to /root").isEqualTo("y");
            assertThat(exec(s, "mkdir", "/a/b").stderr()).contains("No such file or directory");
            assertThat(exec(s, "mkdir", "-p", "/a/b").exitCode()).isZero();
            assertThat(out(s, "touch", "/a/b/c")).isEmpty();
            assertThat(out(s, "ls", "/a")).isEqualTo("b\n");
            assertThat(exec(s, "cat", "/a").stderr()).isEqualTo("cat: /a: Is a directory\n");
            assertThat(exec(s, "rm", "/a").exitCode()).isEqualTo(1);
            assertThat(exec(s, "rm", "-r", "/a").exitCode()).isZero();
            assertThat(exec(s, "test", "-e", "/a/b/c").exitCode()).isEqualTo(1);
            assertThat(exec(s, "rm", "/root/x").exitCode()).isZero();
            assertThat(exec(s, "rm", "/root/x").exitCode()).isEqualTo(1);
            assertThat(exec(s, "rm", "-f", "/root/x").exitCode()).isZero();
            assertThat(exec(s, "ls", "/nowhere").exitCode()).isEqualTo(2);
            assertThat(exec(s, "test", "-d", "/tmp").exitCode()).isZero();
            assertThat(exec(s, "test", "-f", "/etc/hostname").exitCode()).isZero();
            assertThat(rt.exec(s, ExecRequest.of("cat", "../etc/hostname").withWorkdir("/tmp")).stdout()).isEqualTo("f\n");
        }

        @Test
        @DisplayName("echo, env, pwd, whoami and paths to /usr/bin behave like their namesakes")
        void shellish() {
            rt.create(SpriteSpec.named("b").withEnv("A", "1"));
            assertThat(out("b", "echo", "-n", "no", "newline")).isEqualTo("no newline");
            assertThat(out("b", "/usr/bin/env")).isEqualTo("A=1\n");
            assertThat(rt.exec("b", ExecRequest.of("env").withEnv("B", "2")).stdout()).isEqualTo("A=1\nB=2\n");
            assertThat(out("b", "pwd")).isEqualTo("/root\n");
            assertThat(out("b", "whoami")).isEqualTo("root\n");
            assertThat(rt.exec("b", ExecRequest.of("whoami").withUser("kit")).stdout()).isEqualTo("kit\n");
            assertThat(exec("b", "sleep", "soon").exitCode()).isEqualTo(1);
        }

        @Test
        @DisplayName("installed packages are recorded on disk, survive hibernation, and run")
        void aptGet() {
            String s = sprite("apt");
            assertThat(out(s, "apt-get", "install", "-y", "ffmpeg", "jq")).contains("Setting up ffmpeg");
            rt.hibernate(s);
            rt.wake(s);
            assertThat(out(s, "cat", "/var/lib/dpkg/status")).contains("Package: ffmpeg\n", "Package: jq\n");
            assertThat(exec(s, "ffmpeg", "-version").exitCode()).isZero();
            assertThat(exec(s, "apt-get", "remove", "jq").exitCode()).isEqualTo(100);
        }

        @Test
        @DisplayName("the counter is memory: it continues across hibernation and goes back with a snapshot")
        void counter() {
            String s = sprite("n");
            out(s, "counter");
            Snapshot at1 = rt.snapshot(s, SnapshotId.random(), "one");
            out(s, "counter");
            rt.hibernate(s);
            rt.wake(s);
            assertThat(out(s, "counter")).isEqualTo("3\n");
            rt.restore(s, at1);
            assertThat(out(s, "counter")).isEqualTo("2\n");
        }

        @Test
        @DisplayName("sleep is interruptible, and says so")
        void sleepInterrupted() throws Exception {
            String s = sprite("z");
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            AtomicReference<Boolean> flagKept = new AtomicReference<>();
            Thread t = Thread.ofVirtual().start(() -> {
                try {
                    exec(s, "sleep", "30");
                } catch (RuntimeException e) {
                    thrown.set(e);
                    flagKept.set(Thread.currentThread().isInterrupted());
                }
            });
            Thread.sleep(100);
            t.interrupt();
            t.join(Duration.ofSeconds(10));
            assertThat(thrown.get()).isInstanceOf(OperationInterruptedException.class);
            assertThat(flagKept.get()).as("the interrupt flag is set again").isTrue();
        }

        @Test
        @DisplayName("one sprite's counter counts every call from many threads")
        void concurrentCounter() {
            String s = sprite("many");
            try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < 200; i++) {
                    threads.submit(() -> out(s, "counter"));
                }
            }
            assertThat(out(s, "counter")).isEqualTo("201\n");
        }
    }

    @Nested
    @DisplayName("Files through the SPI")
    class SpiFiles {
        @Test
        @DisplayName("paths must be absolute; directories are not files")
        void paths() {
            String s = sprite("p");
            assertThatThrownBy(() -> write(s, "relative.txt", "x")).isInstanceOf(InvalidSpecException.class);
            assertThatThrownBy(() -> write(s, "/tmp", "x")).isInstanceOf(BackendException.class).hasMessageContaining("Is a directory");
            assertThatThrownBy(() -> rt.readFile(s, "/tmp", new ByteArrayOutputStream())).isInstanceOf(BackendException.class);
            write(s, "/tmp/file", "x");
            assertThatThrownBy(() -> write(s, "/tmp/file/below", "x")).isInstanceOf(BackendException.class).hasMessageContaining("Not a directory");
            assertThatThrownBy(() -> rt.readFile(s, "/nope", new ByteArrayOutputStream()))
                    .isInstanceOfSatisfying(BackendException.class, e -> assertThat(e.status()).isEqualTo(404));
            write(s, "/tmp/./dir/../file2", "normalized");
            assertThat(out(s, "cat", "/tmp/file2")).isEqualTo("normalized");
        }

        @Test
        @DisplayName("only /home and /root are kept by a delete")
        void keptVolumes() {
            String s = sprite("v");
            write(s, "/root/a", "a");
            write(s, "/home/u/b", "b");
            write(s, "/etc/c", "c");
            rt.delete(s, DeletePolicy.KEEP_VOLUMES);
            sprite("v");
            assertThat(out(s, "cat", "/root/a", "/home/u/b")).isEqualTo("ab");
            assertThat(exec(s, "cat", "/etc/c").exitCode()).isEqualTo(1);
            assertThat(out(s, "cat", "/etc/hostname")).as("the image's files are there again").isEqualTo("v\n");
        }
    }

    @Nested
    @DisplayName("Readiness")
    class Ready {
        @Test
        @DisplayName("a port is ready when the spec declares it or a process listens; listening is memory")
        void ports() {
            rt.create(SpriteSpec.named("r").withPorts(22));
            assertThat(rt.isReady("r", Readiness.port(22))).isTrue();
            assertThat(rt.isReady("r", Readiness.port(8080))).isFalse();
            Snapshot before = rt.snapshot("r", SnapshotId.random(), "before");
            out("r", "listen", "8080");
            assertThat(rt.isReady("r", Readiness.http(8080, "/health"))).isTrue();
            rt.hibernate("r");
            rt.wake("r");
            assertThat(rt.isReady("r", Readiness.port(8080))).as("still listening after wake").isTrue();
            rt.restore("r", before);
            assertThat(rt.isReady("r", Readiness.port(8080))).as("not listening at the snapshot").isFalse();
            assertThat(rt.isReady("r", Readiness.all(Readiness.port(22), Readiness.command("test", "-f", "/etc/hostname")))).isTrue();
            assertThat(exec("r", "listen", "0").exitCode()).isEqualTo(2);
        }
    }

    @Nested
    @DisplayName("Console: a line interpreter")
    class Consoles {
        private String session(String sprite, ConsoleRequest request, String typed, Map<String, Integer> status) throws Exception {
            try (var c = rt.console(sprite, request)) {
                c.input().write(typed.getBytes(StandardCharsets.UTF_8));
                c.input().flush();
                String shown = new String(c.output().readAllBytes(), StandardCharsets.UTF_8);
                status.put("exit", c.waitFor(Duration.ofSeconds(5)).orElse(-1));
                return shown;
            }
        }

        @Test
        @DisplayName("it prompts, echoes the line, runs it, and ends with exit's status")
        void interprets() throws Exception {
            String s = sprite("con");
            Map<String, Integer> status = new HashMap<>();
            String shown = session(s, ConsoleRequest.DEFAULT, "echo hi\nnosuch\ncounter\nexit 7\n", status);
            assertThat(shown).isEqualTo("$ echo hi\nhi\n$ nosuch\nnosuch: command not found\n$ counter\n1\n$ exit 7\n");
            assertThat(status).containsEntry("exit", 7);
            assertThat(out(s, "counter")).as("the console shares the sprite's memory").isEqualTo("2\n");
        }

        @Test
        @DisplayName("a program other than a shell runs once")
        void program() throws Exception {
            Map<String, Integer> status = new HashMap<>();
            assertThat(session(sprite("once"), new ConsoleRequest(List.of("echo", "once"), 80, 24), "", status)).isEqualTo("once\n");
            assertThat(status).containsEntry("exit", 0);
        }

        @Test
        @DisplayName("input may come from a thread that has ended")
        void shortLivedWriter() throws Exception {
            String s = sprite("writer");
            try (var c = rt.console(s, ConsoleRequest.DEFAULT)) {
                Thread.ofVirtual().start(() -> {
                    try {
                        c.input().write("exit 4\n".getBytes(StandardCharsets.UTF_8));
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }).join();
                c.output().readAllBytes();
                assertThat(c.waitFor(Duration.ofSeconds(5))).hasValue(4);
            }
        }

        @Test
        @DisplayName("closing hangs up a running session with status 129, and resize is validated")
        void hangUp() throws Exception {
            String s = sprite("hup");
            var c = rt.console(s, ConsoleRequest.DEFAULT);
            assertThatThrownBy(() -> c.resize(0, 24)).isInstanceOf(InvalidSpecException.class);
            c.input().write("sleep 30\n".getBytes(StandardCharsets.UTF_8));
            assertThat(c.waitFor(Duration.ofMillis(200))).as("still running").isEmpty();
            c.close();
            assertThat(c.waitFor(Duration.ofSeconds(5))).hasValue(LineConsole.HANGUP);
            c.output().readAllBytes();
            assertThat(c.output().read()).as("the output has ended").isEqualTo(-1);
        }
    }
}
