package labs.sandwich.puck.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import org.junit.jupiter.api.Test;

class TestClockTest {
    @Test
    void movesOnlyWhenTold() {
        TestClock c = TestClock.start();
        assertThat(c.instant()).isEqualTo(TestClock.START);
        assertThat(c.advance(Duration.ofSeconds(90))).isEqualTo(TestClock.START.plusSeconds(90));
        assertThat(c.millis()).isEqualTo(TestClock.START.plusSeconds(90).toEpochMilli());
        c.set(Instant.EPOCH);
        assertThat(c.instant()).isEqualTo(Instant.EPOCH);
        assertThatThrownBy(() -> c.advance(Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void zonedCopiesShareTheTime() {
        TestClock c = TestClock.at(Instant.parse("2030-05-05T10:00:00Z"));
        var paris = c.withZone(ZoneId.of("Europe/Paris"));
        c.advance(Duration.ofHours(1));
        assertThat(paris.instant()).isEqualTo(Instant.parse("2030-05-05T11:00:00Z"));
        assertThat(paris.getZone()).isEqualTo(ZoneId.of("Europe/Paris"));
    }
}
