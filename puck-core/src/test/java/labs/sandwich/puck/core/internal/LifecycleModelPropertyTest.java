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
 * (each followed by a monitor tick), on the in-memory runtime, checked step by step against a
 * model that states the sleep rules independently: tiers by idle time since the last activity,
 * nothing sleeps under a live lease, the deepest due tier wins. 1,000 sequences by default,
 * 10,000 with -Pexhaustive.
 */
class LifecycleModelPropertyTest {
    /** Every sprite's policy: short tiers, so that clock advances cross them. */
    static final SleepPolicy POLICY = new SleepPolicy(Duration.ofSeconds(10), Duration.ofMinutes(1), Duration.ofMinutes(5));
    static final List<Duration> ADVANCES = List.of(Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30),
            Duration.ofMinutes(1), Duration.ofMinutes(4), Duration.ofMinutes(10));

    enum Kind { CREATE, COUNT, PAUSE, HIBERNATE, ARCHIVE, WAKE, SNAPSHOT, RESTORE, DELETE, LEASE, RELEASE, ADVANCE }

    record Op(Kind kind, int sprite, int amount) {
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
        int counter;
        Instant lastActivity;
        KeepAlive lease;
        final List<Snapshot> snapshots = new ArrayList<>();
        final List<Integer> counters = new ArrayList<>();

        Model(Instant now) {
            lastActivity = now;
        }

        boolean leased(Instant now) {
            return lease != null && lease.expiresAt().isAfter(now);
        }
    }

    @Provide
    Arbitrary<List<Op>> sequences() {
        return Combinators.combine(Arbitraries.of(Kind.class), Arbitraries.integers().between(0, 2), Arbitraries.integers().between(0, ADVANCES.size() - 1))
                .as(Op::new).list().ofMinSize(1).ofMaxSize(30);
    }

    @Property
    void theEngineAndTheMonitorAgreeWithTheModel(@ForAll("sequences") List<Op> ops) throws IOException {
        Path dir = Files.createTempDirectory("puck-lifecycle-model");
        TestClock clock = TestClock.start();
        InMemorySpriteRuntime rt = InMemorySpriteRuntime.builder().clock(clock).build();
        Map<String, Model> model = new TreeMap<>();
        try (StateStore store = StateStore.open(dir.resolve("puck.db"), clock); EventBus bus = new EventBus()) {
            Engine engine = new Engine(rt, store, bus, clock, Duration.ofSeconds(20));
            IdleMonitor monitor = new IdleMonitor(engine, Duration.ofSeconds(1));
            for (Op op : ops) {
                step(engine, bus, monitor, clock, op, model);
                assertThat(store.sprites()).extracting(SpriteRecord::name).as("after %s", op).containsExactlyElementsOf(model.keySet());
                for (var e : model.entrySet()) {
                    assertThat(engine.record(e.getKey()).state()).as("%s after %s in %s", e.getKey(), op, ops).isEqualTo(e.getValue().state);
                    assertThat(rt.inspect(e.getKey()).orElseThrow().state()).as("runtime's %s after %s", e.getKey(), op).isEqualTo(e.getValue().state);
                }
            }
            monitor.close();
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static void step(Engine engine, EventBus bus, IdleMonitor monitor, TestClock clock, Op op, Map<String, Model> model) {
        String name = op.name();
        Model m = model.get(name);
        Instant now = clock.instant();
        Sprite s = new SpriteHandle(engine, bus, name, () -> true);
        switch (op.kind()) {
            case ADVANCE -> {
                Instant later = clock.advance(ADVANCES.get(op.amount()));
                Map<String, SpriteState> expected = new TreeMap<>();
                model.forEach((n, x) -> sleep(x, later).ifPresent(into -> expected.put(n, into)));
                IdleMonitor.Tick tick = monitor.tick();
                assertThat(tick.slept()).as("slept at %s", later).isEqualTo(expected);
                expected.forEach((n, into) -> model.get(n).state = into);
                return;
            }
            case CREATE -> {
                if (m != null) {
                    assertThatThrownBy(() -> engine.create(SpriteSpec.named(name).withSleep(POLICY), Duration.ofSeconds(20))).isInstanceOf(SpriteAlreadyExistsException.class);
                } else {
                    engine.create(SpriteSpec.named(name).withSleep(POLICY), Duration.ofSeconds(20));
                    model.put(name, new Model(now));
                }
                return;
            }
            default -> { }
        }
        if (m == null) {
            if (op.kind() != Kind.RELEASE) {
                assertThatThrownBy(() -> act(s, op, new Model(now), now)).isInstanceOf(SpriteNotFoundException.class);
            }
            return;
        }
        act(s, op, m, now);
        if (op.kind() == Kind.DELETE) {
            model.remove(name);
        }
    }

    /** The sleep rules, stated independently of SleepTiers: the deepest tier the idle time has reached, beyond the current state. */
    private static java.util.Optional<SpriteState> sleep(Model x, Instant now) {
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
        if (depth < 3 && idle.compareTo(POLICY.archiveAfter()) >= 0) {
            into = SpriteState.ARCHIVED;
        }
        return java.util.Optional.ofNullable(into);
    }

    private static void act(Sprite s, Op op, Model m, Instant now) {
        switch (op.kind()) {
            case COUNT -> {
                String out = s.exec("counter").orThrow().stdout().strip();
                m.counter++;
                awake(m, now);
                assertThat(out).as("memory survived").isEqualTo(Integer.toString(m.counter));
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
                    m.lease.close();
                    m.lease = null;
                    m.lastActivity = now;
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
