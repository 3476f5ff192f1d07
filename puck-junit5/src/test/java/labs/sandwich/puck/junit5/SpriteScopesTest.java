package labs.sandwich.puck.junit5;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import labs.sandwich.puck.Puck;
import labs.sandwich.puck.api.Sprite;
import labs.sandwich.puck.api.SpriteState;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/** Static sprites are shared by the class, instance fields and parameters are per test; Puck is injected. Runs in parallel mode. */
// tag::scopes[]
@PuckTest
class SpriteScopesTest {
    @SpriteInstance                     // one for the class
    static Sprite shared;

    @SpriteInstance(name = "mine")      // one per test, named mine-<session>-<n>
    Sprite perTest;
    // end::scopes[]

    static final Set<String> sharedNames = ConcurrentHashMap.newKeySet();
    static final Set<String> perTestNames = ConcurrentHashMap.newKeySet();

    @RepeatedTest(3)
    void instanceFieldsArePerTestAndStaticOnesShared(Puck puck) {
        sharedNames.add(shared.name());
        perTestNames.add(perTest.name());
        assertThat(perTest.name()).startsWith("mine-");
        assertThat(perTest.state()).isEqualTo(SpriteState.RUNNING);
        assertThat(puck.find(perTest.name())).isPresent();
        assertThat(perTest.inspect().spec().labels()).containsKey(PuckExtension.SESSION_LABEL);
        perTest.exec("sh", "-c", "echo hi > /root/f").orThrow();
    }

    // tag::parameters[]
    @Test
    void parametersGetTheirOwnSprite(@SpriteInstance(name = "param") Sprite p, Puck puck) {
        assertThat(p.name()).startsWith("param-");
        assertThat(p.exec("hostname").orThrow().stdout().strip()).isEqualTo(p.name());
        assertThat(puck.list()).extracting(Sprite::name).contains(p.name(), shared.name());
    }
    // end::parameters[]

    @AfterAll
    static void scopes() {
        assertThat(sharedNames).hasSize(1);
        assertThat(perTestNames).hasSize(3);
    }
}
