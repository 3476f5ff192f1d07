package labs.sandwich.puck.testkit;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A clock that moves only when told to, for tests of anything that reads time through a
 * {@link Clock} (idle timeouts, {@code stateSince}, leases):
 *
 * <pre>{@code
 * TestClock clock = TestClock.start();
 * var runtime = InMemorySpriteRuntime.builder().clock(clock).build();
 * clock.advance(Duration.ofMinutes(15));   // the idle timeout has passed, instantly
 * }</pre>
 *
 * Thread-safe. It is in UTC; copies made with {@link #withZone} report another zone but share
 * its time, so advancing either moves both.
 */
public final class TestClock extends Clock {
    /** Where {@link #start()} begins: an arbitrary, fixed instant, so that tests are repeatable. */
    public static final Instant START = Instant.parse("2026-01-01T00:00:00Z");

    private final AtomicReference<Instant> now;
    private final ZoneId zone;

    private TestClock(AtomicReference<Instant> now, ZoneId zone) {
        this.now = now;
        this.zone = zone;
    }

    /**
     * @return a new clock at {@link #START}, in UTC
     */
    public static TestClock start() {
        return at(START);
    }

    /**
     * @param instant the starting time
     * @return a new clock at that time, in UTC
     */
    public static TestClock at(Instant instant) {
        return new TestClock(new AtomicReference<>(instant), ZoneOffset.UTC);
    }

    /**
     * Moves time forward, atomically.
     *
     * @param duration how far; zero or positive
     * @return the new time
     * @throws IllegalArgumentException if {@code duration} is negative (use {@link #set} to go back)
     */
    public Instant advance(Duration duration) {
        if (duration.isNegative()) {
            throw new IllegalArgumentException("advance moves time forward only, but was given " + duration + "; use set(Instant) to go back");
        }
        return now.updateAndGet(t -> t.plus(duration));
    }

    /**
     * Sets the time, forward or backward (to test clock jumps).
     *
     * @param instant the new time
     */
    public void set(Instant instant) {
        now.set(instant);
    }

    /** @return the current time of this clock; it changes only through {@link #advance} and {@link #set} */
    @Override
    public Instant instant() {
        return now.get();
    }

    @Override
    public ZoneId getZone() {
        return zone;
    }

    /**
     * @param zone the zone the copy reports
     * @return a clock in {@code zone} that shares this clock's time
     */
    @Override
    public TestClock withZone(ZoneId zone) {
        return new TestClock(now, zone);
    }

    @Override
    public String toString() {
        return "TestClock[" + instant() + ", " + zone + "]";
    }
}
