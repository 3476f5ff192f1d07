package labs.sandwich.puck.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import labs.sandwich.puck.api.DeletePolicy;
import labs.sandwich.puck.api.IllegalSpriteStateException;
import labs.sandwich.puck.api.KeepAlive;
import labs.sandwich.puck.api.SleepPolicy;
import labs.sandwich.puck.api.Snapshot;
import labs.sandwich.puck.api.Sprite;
import labs.sandwich.puck.api.SpriteAlreadyExistsException;
import labs.sandwich.puck.api.SpriteNotFoundException;
import labs.sandwich.puck.api.SpriteSpec;
import labs.sandwich.puck.api.SpriteState;
import labs.sandwich.puck.testkit.InMemorySpriteRuntime;
import labs.sandwich.puck.spi.SpriteRuntime;
import labs.sandwich.puck.testkit.TestClock;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The lifecycle with the idle monitor in it: random interleavings of create, exec, pause,
 * hibernate, archive, wake, snapshot, restore, delete, keep-alive leases and clock advances
 * (each followed by a monitor tick), checked step by step against a model that states the sleep
 * rules independently: tiers by idle time since the last activity, nothing sleeps under a live
 * lease, the deepest due tier wins, a tier the runtime cannot do is skipped. The engine runs on
 * a test clock; the runtime is whatever the {@link Fixture} gives: the in-memory one here
 * (1,000 sequences, 10,000 with -Pexhaustive), real Podman in the integration tests.
 */
public class LifecycleModelPropertyTest {
    /** What a run needs from a runtime. */
    public interface Fixture {
        /** @param context the sequence's context: its test clock, data directory and store @return a fresh runtime for one sequence */
        SpriteRuntime runtime(labs.sandwich.puck.spi.RuntimeContext context);

        /** @return a prefix that makes this run's sprite names unique on the runtime */
        String prefix();

        /** Starts state held only in the sprite's memory. @param s a new sprite @return its first value */
        long startMemory(Sprite s);

        /** @param s a sprite @return the memory's next value (one more than the last) */
        long nextMemory(Sprite s);
    }

    static final Fixture IN_MEMORY = new Fixture() {
        @Override
        public SpriteRuntime runtime(labs.sandwich.puck.spi.RuntimeContext context) {
            return InMemorySpriteRuntime.builder().clock(context.clock()).build();
        }

        @Override
        public String prefix() {
            return "";
        }

        @Override
        public long startMemory(Sprite s) {
            return 0;
        }

        @Override
        public long nextMemory(Sprite s) {
            return Long.parseLong(s.exec("counter").orThrow().stdout().strip());
        }
    };
    /** Every sprite's policy: short tiers, so that clock advances cross them. */
    static final SleepPolicy POLICY = new SleepPolicy(Duration.ofSeconds(10), Duration.ofMinutes(1), Duration.ofMinutes(5));
    static final List<Duration> ADVANCES = List.of(Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30),
            Duration.ofMinutes(1), Duration.ofMinutes(4), Duration.ofMinutes(10));

    /** The kinds of steps. */
    public enum Kind { CREATE, COUNT, PAUSE, HIBERNATE, ARCHIVE, WAKE, SNAPSHOT, RESTORE, DELETE, LEASE, RELEASE, ADVANCE }

    /** One step. @param kind what @param sprite which sprite @param amount a lease's minutes - 1, or an advance's index */
    public record Op(Kind kind, int sprite, int amount) {
        String name() {
            return "s" + sprite;
        }

        @Override
        public String toString() {
            return kind + (kind == Kind.ADVANCE ? " " + ADVANCES.get(amount) : " " + name() + (kind == Kind.LEASE ? " " + (amount + 1) + "min" : ""));
        }
    }

    /** What the model knows of one sprite. */
    static final class Model {
        SpriteState state = SpriteState.RUNNING;
        long counter;
        Instant lastActivity;
        KeepAlive lease;
        final List<Snapshot> snapshots = new ArrayList<>();
        final List<Long> counters = new ArrayList<>();

        Model(Instant now) {
            lastActivity = now;
        }

        boolean leased(Instant now) {
            return lease != null && lease.expiresAt().isAfter(now);
        }
    }

    /**
     * @param sprites how many sprites a sequence uses
     * @param maxSize the longest sequence
     * @return sequences of steps
     */
    public static Arbitrary<List<Op>> sequences(int sprites, int maxSize) {
        return Combinators.combine(Arbitraries.of(Kind.class), Arbitraries.integers().between(0, sprites - 1), Arbitraries.integers().between(0, ADVANCES.size() - 1))
                .as(Op::new).list().ofMinSize(1).ofMaxSize(maxSize);
    }

    @Provide
    Arbitrary<List<Op>> sequences() {
        return sequences(3, 30);
    }

    @Property
    void theEngineAndTheMonitorAgreeWithTheModel(@ForAll("sequences") List<Op> ops) throws IOException {
        check(ops, IN_MEMORY);
    }

    /** Found by CI (seed 8065384741628555785): releasing a lease that had already lapsed must not count as activity. */
    @net.jqwik.api.Example
    void releasingALapsedLeaseIsNotActivity() throws IOException {
        check(List.of(new Op(Kind.CREATE, 2, 0), new Op(Kind.LEASE, 2, 0), new Op(Kind.ADVANCE, 0, 3), new Op(Kind.RELEASE, 2, 0),
                new Op(Kind.ADVANCE, 0, 0), new Op(Kind.ADVANCE, 0, 0), new Op(Kind.ADVANCE, 0, 4)), IN_MEMORY);
    }

    /**
     * Runs one sequence on a fresh store and runtime, comparing after every step; deletes every
     * sprite it made, even after a failure.
     *
     * @param ops     the sequence
     * @param fixture the runtime and the memory workload
     * @throws IOException if the temporary store cannot be made or removed
     */
    public static void check(List<Op> ops, Fixture fixture) throws IOException {
        Path dir = Files.createTempDirectory("puck-lifecycle-model");
        TestClock clock = TestClock.start();
        Map<String, Model> model = new TreeMap<>();
        try (StateStore store = StateStore.open(dir.resolve("puck.db"), clock); EventBus bus = new EventBus()) {
            SpriteRuntime rt = fixture.runtime(new EngineContext(clock, dir.resolve("data"), Config.system(Map.of()), () -> store, bus));
            Engine engine = new Engine(rt, store, bus, clock, Duration.ofMinutes(2));
            IdleMonitor monitor = new IdleMonitor(engine, Duration.ofSeconds(1));
            try {
                for (Op op : ops) {
                    step(engine, bus, monitor, clock, fixture, op, model);
                    assertThat(store.sprites()).extracting(SpriteRecord::name).as("after %s", op)
                            .containsExactlyElementsOf(model.keySet().stream().map(n -> fixture.prefix() + n).toList());
                    for (var e : model.entrySet()) {
                        String name = fixture.prefix() + e.getKey();
                        assertThat(engine.record(name).state()).as("%s after %s in %s", name, op, ops).isEqualTo(e.getValue().state);
                        assertThat(rt.inspect(name).orElseThrow().state()).as("runtime's %s after %s", name, op).isEqualTo(e.getValue().state);
                    }
                }
            } finally {
                monitor.close();
                for (String n : model.keySet()) {
                    engine.delete(fixture.prefix() + n, DeletePolicy.PURGE, Duration.ofMinutes(2));
                }
                // A DELETE step keeps the volumes, as users' deletes do by default: purge what the runtime still holds of them.
                for (Op op : ops) {
                    if (op.kind() == Kind.DELETE) {
                        try {
                            rt.delete(fixture.prefix() + op.name(), DeletePolicy.PURGE);
                        } catch (labs.sandwich.puck.api.SpriteNotFoundException expected) {
                            // no container, as expected; its volumes went with this call
                        }
                    }
                }
                rt.close();
            }
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static void step(Engine engine, EventBus bus, IdleMonitor monitor, TestClock clock, Fixture fixture, Op op, Map<String, Model> model) {
        String name = fixture.prefix() + op.name();
        boolean canArchive = engine.capabilities().contains(labs.sandwich.puck.api.Capability.ARCHIVE);
        Model m = model.get(op.name());
        Instant now = clock.instant();
        Sprite s = new SpriteHandle(engine, bus, name, () -> true);
        switch (op.kind()) {
            case ADVANCE -> {
                Instant later = clock.advance(ADVANCES.get(op.amount()));
                Map<String, SpriteState> expected = new TreeMap<>();
                model.forEach((n, x) -> sleep(x, later, canArchive).ifPresent(into -> expected.put(fixture.prefix() + n, into)));
                IdleMonitor.Tick tick = monitor.tick();
                assertThat(tick.slept()).as("slept at %s", later).isEqualTo(expected);
                expected.forEach((n, into) -> model.get(n.substring(fixture.prefix().length())).state = into);
                return;
            }
            case CREATE -> {
                if (m != null) {
                    assertThatThrownBy(() -> engine.create(SpriteSpec.named(name).withSleep(POLICY), Duration.ofMinutes(2))).isInstanceOf(SpriteAlreadyExistsException.class);
                } else {
                    engine.create(SpriteSpec.named(name).withSleep(POLICY), Duration.ofMinutes(2));
                    Model fresh = new Model(now);
                    fresh.counter = fixture.startMemory(s);
                    fresh.lastActivity = clock.instant();
                    model.put(op.name(), fresh);
                }
                return;
            }
            default -> { }
        }
        if (m == null) {
            if (op.kind() != Kind.RELEASE && (op.kind() != Kind.ARCHIVE || canArchive)) {
                assertThatThrownBy(() -> act(s, op, new Model(now), now, fixture, canArchive)).isInstanceOf(SpriteNotFoundException.class);
            }
            return;
        }
        act(s, op, m, now, fixture, canArchive);
        if (op.kind() == Kind.DELETE) {
            model.remove(op.name());
        }
    }

    /** The sleep rules, stated independently of SleepTiers: the deepest tier the idle time has reached, beyond the current state. */
    private static java.util.Optional<SpriteState> sleep(Model x, Instant now, boolean canArchive) {
        if (x.leased(now)) {
            return java.util.Optional.empty();
        }
        Duration idle = Duration.between(x.lastActivity, now);
        int depth = switch (x.state) {
            case RUNNING -> 0;
            case PAUSED -> 1;
            case HIBERNATED -> 2;
            default -> 3;
        };
        SpriteState into = null;
        if (depth < 1 && idle.compareTo(POLICY.pauseAfter()) >= 0) {
            into = SpriteState.PAUSED;
        }
        if (depth < 2 && idle.compareTo(POLICY.hibernateAfter()) >= 0) {
            into = SpriteState.HIBERNATED;
        }
        if (canArchive && depth < 3 && idle.compareTo(POLICY.archiveAfter()) >= 0) {
            into = SpriteState.ARCHIVED;
        }
        return java.util.Optional.ofNullable(into);
    }

    private static void act(Sprite s, Op op, Model m, Instant now, Fixture fixture, boolean canArchive) {
        switch (op.kind()) {
            case COUNT -> {
                long out = fixture.nextMemory(s);
                m.counter++;
                awake(m, now);
                assertThat(out).as("memory survived").isEqualTo(m.counter);
            }
            case PAUSE -> {
                if (m.state == SpriteState.HIBERNATED || m.state == SpriteState.ARCHIVED) {
                    assertThatThrownBy(s::pause).isInstanceOf(IllegalSpriteStateException.class);
                } else {
                    s.pause();
                    m.state = SpriteState.PAUSED;
                }
            }
            case HIBERNATE -> {
                s.hibernate();
                if (m.state != SpriteState.ARCHIVED) {
                    m.state = SpriteState.HIBERNATED;
                }
            }
            case ARCHIVE -> {
                if (!canArchive) {
                    assertThatThrownBy(s::archive).isInstanceOf(labs.sandwich.puck.api.UnsupportedCapabilityException.class);
                    s.state(); // still proves the sprite exists
                    return;
                }
                s.archive();
                m.state = SpriteState.ARCHIVED;
            }
            case WAKE -> {
                s.wake();
                if (m.state != SpriteState.RUNNING) {
                    awake(m, now);
                }
            }
            case SNAPSHOT -> {
                Snapshot snap = s.snapshot("step");
                awake(m, now);
                m.snapshots.add(snap);
                m.counters.add(m.counter);
            }
            case RESTORE -> {
                if (m.snapshots.isEmpty()) {
                    s.state(); // nothing to restore; still proves the sprite exists
                    return;
                }
                s.restore(m.snapshots.getLast());
                m.counter = m.counters.getLast();
                awake(m, now);
            }
            case LEASE -> {
                if (m.lease != null) {
                    m.lease.close();
                }
                m.lease = s.keepAlive("model", Duration.ofMinutes(op.amount() + 1));
                awake(m, now);
            }
            case RELEASE -> {
                if (m.lease != null) {
                    if (m.leased(now)) {
                        m.lastActivity = now; // releasing a live lease is activity; one that lapsed is not
                    }
                    m.lease.close();
                    m.lease = null;
                } else {
                    s.state(); // nothing to release; still proves the sprite exists
                }
            }
            case DELETE -> s.delete(DeletePolicy.KEEP_VOLUMES);
            case CREATE, ADVANCE -> throw new AssertionError("handled by step");
        }
    }

    private static void awake(Model m, Instant now) {
        m.state = SpriteState.RUNNING;
        m.lastActivity = now;
    }
}
