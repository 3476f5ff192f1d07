package labs.sandwich.puck.api;

import static org.assertj.core.api.Assertions.assertThat;

import static labs.sandwich.puck.api.SpriteState.*;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The transition table, stated a second time independently and compared pair by pair. */
class SpriteStateTest {
    private static final Map<SpriteState, Set<SpriteState>> EXPECTED = Map.ofEntries(
            Map.entry(CREATING, EnumSet.of(RUNNING, DELETING, FAILED)),
            Map.entry(RUNNING, EnumSet.of(PAUSING, HIBERNATING, WAKING, DELETING, FAILED)),
            Map.entry(PAUSING, EnumSet.of(PAUSED, RUNNING, FAILED)),
            Map.entry(PAUSED, EnumSet.of(WAKING, HIBERNATING, DELETING, FAILED)),
            Map.entry(HIBERNATING, EnumSet.of(HIBERNATED, RUNNING, PAUSED, FAILED)),
            Map.entry(HIBERNATED, EnumSet.of(WAKING, ARCHIVING, DELETING, FAILED)),
            Map.entry(ARCHIVING, EnumSet.of(ARCHIVED, HIBERNATED, FAILED)),
            Map.entry(ARCHIVED, EnumSet.of(WAKING, DELETING, FAILED)),
            Map.entry(WAKING, EnumSet.of(RUNNING, PAUSED, HIBERNATED, ARCHIVED, FAILED)),
            Map.entry(DELETING, EnumSet.of(DELETED, FAILED)),
            Map.entry(DELETED, EnumSet.noneOf(SpriteState.class)),
            Map.entry(FAILED, EnumSet.of(WAKING, DELETING)));

    @Test
    void everyPairIsAsSpecified() {
        int legal = 0;
        for (SpriteState from : SpriteState.values()) {
            for (SpriteState to : SpriteState.values()) {
                boolean expected = EXPECTED.get(from).contains(to);
                assertThat(from.canMoveTo(to)).as("%s -> %s", from, to).isEqualTo(expected);
                legal += expected ? 1 : 0;
            }
            assertThat(from.next()).isEqualTo(EXPECTED.get(from));
        }
        assertThat(legal).isEqualTo(38);
    }

    @Test
    void noStateMovesToItself() {
        for (SpriteState s : SpriteState.values()) {
            assertThat(s.canMoveTo(s)).as(s.name()).isFalse();
        }
    }

    @Test
    void everyStateButDeletedCanFailOrLeadOn() {
        for (SpriteState s : SpriteState.values()) {
            assertThat(s.isTerminal()).isEqualTo(s == SpriteState.DELETED);
            assertThat(s.next().isEmpty()).isEqualTo(s.isTerminal());
        }
        assertThat(SpriteState.RUNNING.isAwake()).isTrue();
        assertThat(SpriteState.PAUSED.isAwake()).isFalse();
        assertThat(EnumSet.allOf(SpriteState.class).stream().filter(SpriteState::isTransitional))
                .containsExactlyInAnyOrder(CREATING, PAUSING, HIBERNATING, ARCHIVING, WAKING, DELETING);
        assertThat(EnumSet.allOf(SpriteState.class).stream().filter(SpriteState::isAsleep)).containsExactlyInAnyOrder(PAUSED, HIBERNATED, ARCHIVED);
    }
}
