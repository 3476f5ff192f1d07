package labs.sandwich.puck.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import labs.sandwich.puck.Puck;
import labs.sandwich.puck.api.DeletePolicy;
import labs.sandwich.puck.api.SleepPolicy;
import labs.sandwich.puck.api.Sprite;
import labs.sandwich.puck.api.SpriteSpec;
import labs.sandwich.puck.api.SpriteState;
import labs.sandwich.puck.core.internal.StateStore;
import labs.sandwich.puck.podman.PodmanRuntimeProvider;
import labs.sandwich.puck.spi.Probe;
import labs.sandwich.puck.spi.RuntimeContext;
import labs.sandwich.puck.spi.SpriteRuntime;
import labs.sandwich.puck.spi.SpriteRuntimeProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code kill -9} at every journal point of hibernate, wake, snapshot and restore, against real
 * Podman: a child JVM runs the operation and stops, either after the engine journaled its claim
 * and before the runtime call ({@code before}), or after the runtime call returned and before
 * the engine journaled the end ({@code after}); the test kills it with SIGKILL there. Opening
 * Puck again must repair the state from what the runtime says (completed or rolled back, never
 * guessed), and the sprite's files and memory must be intact.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KillDuringOperationTest {
    private static final Duration PATIENCE = Duration.ofSeconds(90);

    @TempDir
    static Path tmp;
    Path store;
    final String name = "kill9-" + Long.toHexString(System.nanoTime());
    long counter;
    long base;

    /**
     * The child: runs one operation through Puck with a runtime that stops at the point named.
     * Args: store, sprite, operation, point.
     */
    public static void main(String[] args) {
        String op = args[2];
        String point = args[3];
        try (Puck puck = Puck.builder().store(Path.of(args[0])).runtime(new StoppingProvider(op, point)).build()) {
            Sprite s = puck.get(args[1]);
            System.out.println("READY");
            switch (op) {
                case "hibernate" -> s.hibernate();
                case "wake" -> s.wake();
                case "snapshot" -> s.snapshot("killed");
                case "restore" -> s.restore(s.snapshots().getFirst());
                default -> throw new IllegalArgumentException(op);
            }
            System.out.println("FINISHED without being killed");
        }
    }

    /** Podman, wrapped so that the chosen call stops (forever) before or after it runs, and says so. */
    record StoppingProvider(String operation, String point) implements SpriteRuntimeProvider {
        @Override
        public String name() {
            return "podman";
        }

        @Override
        public int priority() {
            return 0;
        }

        @Override
        public Probe probe(RuntimeContext context) {
            return new PodmanRuntimeProvider().probe(context);
        }

        @Override
        public SpriteRuntime create(RuntimeContext context) {
            SpriteRuntime real = new PodmanRuntimeProvider().create(context);
            return (SpriteRuntime) Proxy.newProxyInstance(SpriteRuntime.class.getClassLoader(), new Class<?>[] {SpriteRuntime.class}, (proxy, method, args) -> {
                boolean target = method.getName().equals(operation);
                if (target && point.equals("before")) {
                    stop();
                }
                Object result;
                try {
                    result = method.invoke(real, args);
                } catch (InvocationTargetException e) {
                    throw e.getCause();
                }
                if (target && point.equals("after")) {
                    stop();
                }
                return result;
            });
        }

        private void stop() throws InterruptedException {
            System.out.println("AT " + point + " " + operation);
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
        }
    }

    @BeforeAll
    void createTheSprite() throws Exception {
        store = tmp.resolve("puck.db");
        try (Puck puck = open()) {
            Sprite s = puck.create(SpriteSpec.named(name).withSleep(SleepPolicy.NEVER));
            s.writeFile("/root/keep.txt", "kept".getBytes(StandardCharsets.UTF_8));
            base = Memory.start(s);
            counter = base;
            s.snapshot("base");
        }
    }

    @AfterAll
    void deleteTheSprite() {
        try (Puck puck = open()) {
            puck.find(name).ifPresent(s -> s.delete(DeletePolicy.PURGE));
        }
    }

    static Stream<Arguments> points() {
        return Stream.of("hibernate", "wake", "snapshot", "restore").flatMap(op -> Stream.of(Arguments.of(op, "before"), Arguments.of(op, "after")));
    }

    @ParameterizedTest(name = "kill -9 {1} the runtime's {0}")
    @MethodSource("points")
    void theNextOpenRepairsItAndNothingIsLost(String op, String point) throws Exception {
        SpriteState from = op.equals("wake") ? SpriteState.HIBERNATED : SpriteState.RUNNING;
        try (Puck puck = open()) {
            Sprite s = puck.get(name);
            if (from == SpriteState.HIBERNATED) {
                s.hibernate();
            } else {
                s.wake();
            }
        }
        int snapshotsBefore = snapshots();
        try (ChildJvm child = ChildJvm.start(KillDuringOperationTest.class, store.toString(), name, op, point)) {
            child.awaitLine("AT " + point, PATIENCE);
            child.kill();
        }
        try (StateStore raw = StateStore.open(store, java.time.Clock.systemUTC())) {
            assertThat(raw.unfinished()).as("the killed child left its claim open").singleElement()
                    .satisfies(j -> assertThat(j.operation()).isEqualTo(op));
        }
        SpriteState expected = point.equals("before") ? from : SpriteState.RUNNING;
        if (op.equals("hibernate") && point.equals("after")) {
            expected = SpriteState.HIBERNATED;
        }
        try (Puck puck = open()) {
            try (StateStore raw = StateStore.open(store, java.time.Clock.systemUTC())) {
                assertThat(raw.unfinished()).as("reconciled on open").isEmpty();
                assertThat(raw.history(name, 1)).singleElement().satisfies(j -> assertThat(j.outcome()).startsWith("reconciled: process"));
            }
            Sprite s = puck.get(name);
            assertThat(s.state()).as("the store after repair").isEqualTo(expected);
            assertThat(s.inspect().attributes()).isNotEmpty();
            assertThat(new String(s.readFile("/root/keep.txt"), StandardCharsets.UTF_8)).as("files kept").isEqualTo("kept");
            long now = Memory.next(s);
            assertThat(now).as("memory kept (or, after a completed restore, the snapshot's)")
                    .isEqualTo(op.equals("restore") && point.equals("after") ? base + 1 : counter + 1);
            counter = now;
            assertThat(puck.get(name).snapshots()).as("a snapshot whose end was never journaled is not listed").hasSize(snapshotsBefore);
        }
    }

    private int snapshots() {
        try (Puck puck = open()) {
            return puck.get(name).snapshots().size();
        }
    }

    private Puck open() {
        return Puck.builder().store(store).build();
    }
}
