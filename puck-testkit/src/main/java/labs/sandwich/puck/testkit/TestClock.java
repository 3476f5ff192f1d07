package labs.sandwich.puck.testkit;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

/** A clock that moves only when told to. Thread-safe; copies made with {@link #withZone} share its time. */
public final class TestClock extends Clock {
    /** Where {@link #start()} begins: an arbitrary, fixed instant. */
    public static final Instant START = Instant.parse("2026-01-01T00:00:00Z");

    private final AtomicReference<Instant> now;
    private final ZoneId zone;

    private TestClock(AtomicReference<Instant> now, ZoneId zone) {
        this.now = now;
        this.zone = zone;
    }

    /** @return a clock at {@link #START}, in UTC */
    public static TestClock start() {
        return at(START);
    }

    /** @param instant the starting time @return a clock there, in UTC */
    public static TestClock at(Instant instant) {
        return new TestClock(new AtomicReference<>(instant), ZoneOffset.UTC);
    }

    /**
     * Moves time forward.
     *
     * @param d how far; not negative
     * @return the new time
     * @throws IllegalArgumentException if {@code d} is negative
     */
    public Instant advance(Duration d) {
        if (d.isNegative()) {
            throw new IllegalArgumentException("time does not go backwards: " + d);
        }
        return now.updateAndGet(t -> t.plus(d));
    }

    /** @param instant the new time (may go backwards, to test clock jumps) */
    public void set(Instant instant) {
        now.set(instant);
    }

    @Override
    public Instant instant() {
        return now.get();
    }

    @Override
    public ZoneId getZone() {
        return zone;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return new TestClock(now, zone);
    }

    @Override
    public String toString() {
        return "TestClock[" + instant() + "]";
    }
}
