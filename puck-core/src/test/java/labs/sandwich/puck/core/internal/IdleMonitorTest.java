package labs.sandwich.puck.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import labs.sandwich.puck.api.Capability;
import labs.sandwich.puck.api.Console;
import labs.sandwich.puck.api.HookFailedException;
import labs.sandwich.puck.api.InvalidSpecException;
import labs.sandwich.puck.api.KeepAlive;
import labs.sandwich.puck.api.SleepHooks;
import labs.sandwich.puck.api.SleepPolicy;
import labs.sandwich.puck.api.Sprite;
import labs.sandwich.puck.api.SpriteSpec;
import labs.sandwich.puck.api.SpriteState;
import labs.sandwich.puck.api.Why;
import labs.sandwich.puck.api.event.SpriteEvent;
import labs.sandwich.puck.testkit.InMemorySpriteRuntime;
import labs.sandwich.puck.testkit.TestClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The idle monitor, activity, holds, hooks and why(), on the in-memory runtime with a test clock. */
class IdleMonitorTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @TempDir
    Path tmp;
    TestClock clock;
    InMemorySpriteRuntime rt;
    StateStore store;
    EventBus bus;
    Engine engine;
    IdleMonitor monitor;
    final List<SpriteEvent> events = new CopyOnWriteArrayList<>();

    @BeforeEach
    void open() {
        clock = TestClock.start();
        rt = InMemorySpriteRuntime.builder().clock(clock).build();
        openEngine(rt);
    }

    private void openEngine(InMemorySpriteRuntime runtime) {
        store = StateStore.open(tmp.resolve("puck.db"), clock);
        bus = new EventBus();
        bus.subscribe(events::add);
        engine = new Engine(runtime, store, bus, clock, TIMEOUT);
        monitor = new IdleMonitor(engine, Duration.ofSeconds(1));
    }

    @AfterEach
    void close() {
        monitor.close();
        bus.close();
        store.close();
    }

    private Sprite create(String name, SleepPolicy policy) {
        return create(SpriteSpec.named(name).withSleep(policy));
    }

    private Sprite create(SpriteSpec spec) {
        engine.create(spec, TIMEOUT);
        return handle(spec.name());
    }

    private Sprite handle(String name) {
        return new SpriteHandle(engine, bus, name, () -> IdleMonitor.running(store));
    }

    /** Events are delivered on the bus's own thread: waits (at most 5 s) until {@code count} of the kind have arrived. */
    private <E extends SpriteEvent> List<E> eventsOf(Class<E> type, java.util.function.Predicate<E> which, int count) {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        List<E> found;
        do {
            found = events.stream().filter(type::isInstance).map(type::cast).filter(which).toList();
        } while (found.size() < count && System.nanoTime() < deadline);
        return found;
    }

    private SpriteState state(String name) {
        return engine.record(name).state();
    }

    private int trafficCalls(List<String> names) {
        return names.stream().mapToInt(n -> rt.calls(n, "traffic")).sum();
    }

    @Test
    void hundredSpritesSleepTierByTierAndATickWorksOnlyOnTheAwakeOnes() {
        SleepPolicy[] policies = {
            SleepPolicy.DEFAULT, // pause 30 s, hibernate 15 min
            SleepPolicy.NEVER,
            new SleepPolicy(Duration.ZERO, Duration.ofMinutes(2), Duration.ZERO),
            new SleepPolicy(Duration.ofSeconds(10), Duration.ofMinutes(1), Duration.ofMinutes(10)),
        };
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            names.add(create("s" + i, policies[i % 4]).name());
        }
        // At each time: the state each group must be in after one tick.
        Map<Duration, SpriteState[]> expected = new TreeMap<>(Map.of(
                Duration.ZERO, states(SpriteState.RUNNING, SpriteState.RUNNING, SpriteState.RUNNING, SpriteState.RUNNING),
                Duration.ofSeconds(9), states(SpriteState.RUNNING, SpriteState.RUNNING, SpriteState.RUNNING, SpriteState.RUNNING),
                Duration.ofSeconds(10), states(SpriteState.RUNNING, SpriteState.RUNNING, SpriteState.RUNNING, SpriteState.PAUSED),
                Duration.ofSeconds(30), states(SpriteState.PAUSED, SpriteState.RUNNING, SpriteState.RUNNING, SpriteState.PAUSED),
                Duration.ofMinutes(1), states(SpriteState.PAUSED, SpriteState.RUNNING, SpriteState.RUNNING, SpriteState.HIBERNATED),
                Duration.ofMinutes(2), states(SpriteState.PAUSED, SpriteState.RUNNING, SpriteState.HIBERNATED, SpriteState.HIBERNATED),
                Duration.ofMinutes(10), states(SpriteState.PAUSED, SpriteState.RUNNING, SpriteState.HIBERNATED, SpriteState.ARCHIVED),
                Duration.ofMinutes(15), states(SpriteState.HIBERNATED, SpriteState.RUNNING, SpriteState.HIBERNATED, SpriteState.ARCHIVED),
                Duration.ofHours(5), states(SpriteState.HIBERNATED, SpriteState.RUNNING, SpriteState.HIBERNATED, SpriteState.ARCHIVED)));
        Instant start = clock.instant();
        for (var step : expected.entrySet()) {
            clock.set(start.plus(step.getKey()));
            long awake = names.stream().filter(n -> state(n) == SpriteState.RUNNING || state(n) == SpriteState.PAUSED).count();
            int callsBefore = trafficCalls(names);
            IdleMonitor.Tick tick = monitor.tick();
            assertThat(tick.acting()).isTrue();
            assertThat(trafficCalls(names) - callsBefore).as("traffic() calls at %s: one per awake sprite", step.getKey()).isEqualTo(awake);
            assertThat(tick.looked()).as("sprites looked at, at %s", step.getKey())
                    .isEqualTo(awake + (step.getKey().equals(Duration.ofMinutes(10)) ? 25 : 0)); // + the hibernated ones whose archive tier fell due
            for (int i = 0; i < names.size(); i++) {
                assertThat(state(names.get(i))).as("%s (policy %d) at %s", names.get(i), i % 4, step.getKey()).isEqualTo(step.getValue()[i % 4]);
            }
        }
        assertThat(rt.memoryHeld("s2")).as("a hibernated sprite holds no RAM").isZero();
        assertThat(eventsOf(SpriteEvent.Archived.class, e -> true, 25)).hasSize(25);
        assertThat(eventsOf(SpriteEvent.Hibernated.class, e -> true, 75)).hasSize(75)
                .allSatisfy(h -> assertThat(h.reason()).startsWith("idle monitor: no activity since").contains("sleep.hibernateAfter"));
    }

    private static SpriteState[] states(SpriteState... s) {
        return s;
    }

    @Test
    void execConsoleKeepAliveAndTrafficAreActivity() {
        Sprite s = create("busy", SleepPolicy.DEFAULT);
        clock.advance(Duration.ofSeconds(20));
        s.exec("counter");
        clock.advance(Duration.ofSeconds(20));
        monitor.tick();
        assertThat(s.state()).as("40 s old, but idle only 20 s since the exec").isEqualTo(SpriteState.RUNNING);

        Console console = s.console();
        clock.advance(Duration.ofHours(1));
        monitor.tick();
        assertThat(s.state()).as("an open console holds it awake").isEqualTo(SpriteState.RUNNING);
        assertThat(s.why().awakeBecause()).extracting(Why.Activity::kind).containsExactly(Why.Kind.CONSOLE);
        console.close();
        clock.advance(Duration.ofSeconds(29));
        monitor.tick();
        assertThat(s.state()).as("idle counts from the console's close").isEqualTo(SpriteState.RUNNING);
        clock.advance(Duration.ofSeconds(1));
        monitor.tick();
        assertThat(s.state()).isEqualTo(SpriteState.PAUSED);

        rt.addTraffic("busy", 60, 0); // an ARP request's worth: the network's chatter, not activity
        monitor.tick();
        assertThat(s.state()).isEqualTo(SpriteState.PAUSED);
        rt.addTraffic("busy", 400, 100);
        IdleMonitor.Tick tick = monitor.tick();
        assertThat(tick.woken()).as("traffic to a paused sprite wakes it").containsExactly("busy");
        assertThat(s.state()).isEqualTo(SpriteState.RUNNING);
        assertThat(s.why().lastActivity()).get().extracting(Why.Activity::kind).isIn(Why.Kind.TRAFFIC, Why.Kind.LIFECYCLE);
        clock.advance(Duration.ofSeconds(25));
        rt.addTraffic("busy", 300, 0);
        monitor.tick();
        clock.advance(Duration.ofSeconds(25));
        monitor.tick();
        assertThat(s.state()).as("traffic 25 s ago keeps it running").isEqualTo(SpriteState.RUNNING);

        try (KeepAlive lease = s.keepAlive("nightly build", Duration.ofHours(2))) {
            assertThat(lease.expiresAt()).isEqualTo(clock.instant().plus(Duration.ofHours(2)));
            clock.advance(Duration.ofMinutes(90));
            monitor.tick();
            assertThat(s.state()).isEqualTo(SpriteState.RUNNING);
            assertThat(s.why().awakeBecause()).singleElement().satisfies(a -> {
                assertThat(a.kind()).isEqualTo(Why.Kind.KEEP_ALIVE);
                assertThat(a.detail()).isEqualTo("nightly build");
                assertThat(a.until()).contains(lease.expiresAt());
            });
            clock.advance(Duration.ofMinutes(31));
            monitor.tick();
            assertThat(s.state()).as("an expired lease holds nothing; idle since it was taken").isEqualTo(SpriteState.HIBERNATED);
        }
        try (KeepAlive again = s.keepAlive("debugging", Duration.ofMinutes(5))) {
            assertThat(s.state()).as("keepAlive wakes a sleeping sprite").isEqualTo(SpriteState.RUNNING);
        }
        assertThat(s.why().awakeBecause()).as("closed: released").isEmpty();
        assertThatThrownBy(() -> s.keepAlive(" ", Duration.ofMinutes(1))).isInstanceOf(InvalidSpecException.class);
        assertThatThrownBy(() -> s.keepAlive("x", Duration.ofMinutes(-1))).isInstanceOf(InvalidSpecException.class).hasMessageContaining("Invalid keep-alive duration");
    }

    @Test
    void aFailingPreSleepHookCancelsTheSleepAndSaysWhy() {
        Sprite s = create(SpriteSpec.named("hooked").withSleep(new SleepPolicy(Duration.ZERO, Duration.ofMinutes(1), Duration.ZERO))
                .withHooks(SleepHooks.NONE.withPreSleep("false")));
        clock.advance(Duration.ofMinutes(1));
        monitor.tick();
        assertThat(s.state()).isEqualTo(SpriteState.RUNNING);
        assertThat(eventsOf(SpriteEvent.SleepCancelled.class, e -> true, 1)).singleElement()
                .satisfies(e -> assertThat(e.reason()).contains("[false]", "exited with 1"));
        Why why = s.why();
        assertThat(why.cause()).startsWith("sleep cancelled (idle monitor").contains("pre-sleep hook [false]");
        int execs = rt.calls("hooked", "exec");
        clock.advance(Duration.ofSeconds(30));
        monitor.tick();
        assertThat(rt.calls("hooked", "exec")).as("no retry before another idle period").isEqualTo(execs);
        clock.advance(Duration.ofSeconds(30));
        monitor.tick();
        assertThat(rt.calls("hooked", "exec")).as("retried after it").isEqualTo(execs + 1);
        assertThatThrownBy(s::hibernate).isInstanceOfSatisfying(HookFailedException.class, e -> {
            assertThat(e.exitCode()).isEqualTo(1);
            assertThat(e.phase()).isEqualTo("pre-sleep");
            assertThat(e.code()).isEqualTo("PUCK-HOOK-001");
        });
        assertThat(s.state()).as("an explicit hibernate is refused too, and changes nothing").isEqualTo(SpriteState.RUNNING);
    }

    @Test
    void hooksRunAroundSleepingToDiskAndAFailedPostWakeHookLeavesItAwake() {
        Sprite s = create(SpriteSpec.named("flush").withSleep(new SleepPolicy(Duration.ZERO, Duration.ofMinutes(1), Duration.ZERO))
                .withHooks(SleepHooks.NONE.withPreSleep("write", "/root/flushed", "yes").withPostWake("write", "/root/woke", "yes")));
        clock.advance(Duration.ofMinutes(1));
        monitor.tick();
        assertThat(s.state()).isEqualTo(SpriteState.HIBERNATED);
        assertThat(new String(s.readFile("/root/flushed"), StandardCharsets.UTF_8)).isEqualTo("yes");
        assertThat(new String(s.readFile("/root/woke"), StandardCharsets.UTF_8)).as("the read woke it, and the post-wake hook ran").isEqualTo("yes");

        Sprite broken = create(SpriteSpec.named("broken").withHooks(SleepHooks.NONE.withPostWake("false")));
        broken.hibernate();
        broken.wake();
        assertThat(broken.state()).isEqualTo(SpriteState.RUNNING);
        assertThat(eventsOf(SpriteEvent.Failed.class, f -> f.sprite().equals("broken"), 1)).singleElement()
                .satisfies(e -> assertThat(e.error()).isInstanceOf(HookFailedException.class));
        assertThat(broken.why().cause()).startsWith("post-wake hook (false)").contains("the sprite is awake");
    }

    @Test
    void oneMonitorActsPerStoreAndAnotherTakesOverWhenItCloses() {
        create("shared", SleepPolicy.DEFAULT);
        StateStore second = StateStore.open(tmp.resolve("puck.db"), clock);
        try (EventBus bus2 = new EventBus()) {
            Engine engine2 = new Engine(rt, second, bus2, clock, TIMEOUT);
            IdleMonitor other = new IdleMonitor(engine2, Duration.ofSeconds(1));
            assertThat(monitor.tick().acting()).isTrue();
            assertThat(other.tick().acting()).as("the lease is held").isFalse();
            assertThat(handle("shared").why().notes()).noneMatch(n -> n.contains("No idle monitor"));
            monitor.close();
            clock.advance(Duration.ofSeconds(30));
            IdleMonitor.Tick tick = other.tick();
            assertThat(tick.acting()).isTrue();
            assertThat(tick.slept()).containsEntry("shared", SpriteState.PAUSED);
            other.close();
            clock.advance(Duration.ofMinutes(20));
            assertThat(handle("shared").why().notes()).anyMatch(n -> n.startsWith("No idle monitor runs for this store"));
        } finally {
            second.close();
        }
    }

    @Test
    void whyExplainsWhatKeepsItAwakeAndWhenItWillSleep() {
        Sprite s = create("explained", SleepPolicy.DEFAULT);
        Instant created = clock.instant();
        monitor.tick();
        Why fresh = s.why();
        assertThat(fresh.state()).isEqualTo(SpriteState.RUNNING);
        assertThat(fresh.cause()).startsWith("create (" + SpriteSpec.named("x").image().reference() + ") at");
        assertThat(fresh.nextSleep()).contains(new Why.NextSleep(created.plusSeconds(30), SpriteState.PAUSED, "sleep.pauseAfter = PT30S"));
        assertThat(fresh.lastActivity()).get().extracting(Why.Activity::detail).isEqualTo("created");
        clock.advance(Duration.ofSeconds(30));
        monitor.tick();
        Why paused = s.why();
        assertThat(paused.cause()).startsWith("pause (idle monitor: no activity since " + created + " (sleep.pauseAfter = PT30S))");
        assertThat(paused.nextSleep()).contains(new Why.NextSleep(created.plus(Duration.ofMinutes(15)), SpriteState.HIBERNATED, "sleep.hibernateAfter = PT15M"));
        assertThat(paused.toString()).contains("explained is PAUSED since", "sleeps: HIBERNATED at");

        Sprite never = create("never", SleepPolicy.NEVER);
        assertThat(never.why().nextSleep()).isEmpty();
        assertThat(never.why().notes()).contains("Its sleep policy is SleepPolicy.NEVER: it sleeps only when asked.");

        monitor.close();
        InMemorySpriteRuntime noPause = InMemorySpriteRuntime.builder().clock(clock).capabilities(EnumSet.complementOf(EnumSet.of(Capability.PAUSE))).build();
        bus.close();
        store.close();
        tmp.resolve("puck.db").toFile().delete();
        openEngine(noPause);
        Sprite cannot = create("no-pause", SleepPolicy.DEFAULT);
        Why why = cannot.why();
        assertThat(why.nextSleep()).get().extracting(Why.NextSleep::into).isEqualTo(SpriteState.HIBERNATED);
        assertThat(why.notes()).anyMatch(n -> n.startsWith("The in-memory runtime cannot pause a sprite")).anyMatch(n -> n.startsWith("No idle monitor"));
    }

    @Test
    void theMonitorThreadPutsSpritesToSleepOnItsOwn() {
        monitor = new IdleMonitor(engine, Duration.ofMillis(20));
        Sprite s = create("threaded", new SleepPolicy(Duration.ofSeconds(1), Duration.ZERO, Duration.ZERO));
        clock.advance(Duration.ofSeconds(1));
        monitor.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (s.state() != SpriteState.PAUSED && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(s.state()).isEqualTo(SpriteState.PAUSED);
    }
}
