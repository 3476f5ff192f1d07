package labs.sandwich.puck.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class TestClockTest {
    @Test
    @DisplayName("it moves only when told, forward by advance, anywhere by set")
    void movesOnlyWhenTold() {
        TestClock c = TestClock.start();
        assertThat(c.instant()).isEqualTo(TestClock.START);
        assertThat(c.instant()).as("no time passes by itself").isEqualTo(TestClock.START);
        assertThat(c.advance(Duration.ofSeconds(90))).isEqualTo(TestClock.START.plusSeconds(90));
        assertThat(c.millis()).isEqualTo(TestClock.START.plusSeconds(90).toEpochMilli());
        assertThat(c.advance(Duration.ZERO)).isEqualTo(TestClock.START.plusSeconds(90));
        c.set(Instant.EPOCH);
        assertThat(c.instant()).as("set may go backwards, to test clock jumps").isEqualTo(Instant.EPOCH);
    }

    @Test
    @DisplayName("a negative advance is refused and changes nothing")
    void noNegativeAdvance() {
        TestClock c = TestClock.at(Instant.parse("2030-01-01T00:00:00Z"));
        assertThatThrownBy(() -> c.advance(Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class);
        assertThat(c.instant()).isEqualTo(Instant.parse("2030-01-01T00:00:00Z"));
    }

    @Test
    @DisplayName("it is in UTC, and copies in other zones share its time")
    void zones() {
        TestClock c = TestClock.at(Instant.parse("2030-05-05T10:00:00Z"));
        assertThat(c.getZone()).isEqualTo(ZoneOffset.UTC);
        TestClock paris = c.withZone(ZoneId.of("Europe/Paris"));
        c.advance(Duration.ofHours(1));
        assertThat(paris.instant()).isEqualTo(Instant.parse("2030-05-05T11:00:00Z"));
        assertThat(paris.getZone()).isEqualTo(ZoneId.of("Europe/Paris"));
        assertThat(ZonedDateTime.now(paris).getHour()).as("11:00 UTC is 13:00 in Paris in May").isEqualTo(13);
        paris.advance(Duration.ofMinutes(1));
        assertThat(c.instant()).as("advancing the copy advances the original").isEqualTo(Instant.parse("2030-05-05T11:01:00Z"));
    }

    @Test
    @DisplayName("advances from many threads all count")
    void threadSafe() {
        TestClock c = TestClock.start();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 1000; i++) {
                threads.submit(() -> c.advance(Duration.ofMillis(1)));
            }
        }
        assertThat(c.instant()).isEqualTo(TestClock.START.plusSeconds(1));
    }
}
