package labs.sandwich.puck.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The transition table, stated a second time independently and compared pair by pair. */
class SpriteStateTest {
    private static final Map<SpriteState, Set<SpriteState>> EXPECTED = Map.of(
            SpriteState.CREATING, EnumSet.of(SpriteState.RUNNING, SpriteState.DELETING, SpriteState.FAILED),
            SpriteState.RUNNING, EnumSet.of(SpriteState.PAUSED, SpriteState.HIBERNATING, SpriteState.WAKING, SpriteState.DELETING, SpriteState.FAILED),
            SpriteState.PAUSED, EnumSet.of(SpriteState.RUNNING, SpriteState.WAKING, SpriteState.DELETING, SpriteState.FAILED),
            SpriteState.HIBERNATING, EnumSet.of(SpriteState.HIBERNATED, SpriteState.RUNNING, SpriteState.FAILED),
            SpriteState.HIBERNATED, EnumSet.of(SpriteState.WAKING, SpriteState.DELETING, SpriteState.FAILED),
            SpriteState.WAKING, EnumSet.of(SpriteState.RUNNING, SpriteState.HIBERNATED, SpriteState.FAILED),
            SpriteState.DELETING, EnumSet.of(SpriteState.DELETED, SpriteState.FAILED),
            SpriteState.DELETED, EnumSet.noneOf(SpriteState.class),
            SpriteState.FAILED, EnumSet.of(SpriteState.WAKING, SpriteState.DELETING));

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
        assertThat(legal).isEqualTo(25);
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
                .containsExactlyInAnyOrder(SpriteState.CREATING, SpriteState.HIBERNATING, SpriteState.WAKING, SpriteState.DELETING);
    }
}
