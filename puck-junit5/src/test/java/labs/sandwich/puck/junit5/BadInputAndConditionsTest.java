package labs.sandwich.puck.junit5;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.testkit.engine.EventConditions.container;
import static org.junit.platform.testkit.engine.EventConditions.event;
import static org.junit.platform.testkit.engine.EventConditions.finishedWithFailure;
import static org.junit.platform.testkit.engine.EventConditions.skippedWithReason;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.instanceOf;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.message;

import java.util.concurrent.atomic.AtomicReference;
import labs.sandwich.puck.api.RuntimeUnavailableException;
import labs.sandwich.puck.api.Sprite;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;

/**
 * What a user gets wrong or lacks, run through JUnit's EngineTestKit: no runtime (skipped with the
 * probe's reason, or failed with it), a fixture that throws (a failure naming the fixture, its
 * sprite deleted at once), a field of the wrong type or final, a bad name prefix.
 */
class BadInputAndConditionsTest {
    static final String MISSING_SOCKET = "/nonexistent/puck-test/podman.sock";

    static Events run(Class<?> testClass) {
        return EngineTestKit.engine("junit-jupiter").selectors(selectClass(testClass)).execute().allEvents();
    }

    @Test
    void withoutARuntimeTheClassIsSkippedWithTheProbesReason() {
        run(NoRuntimeSkipped.class).assertThatEvents().haveExactly(1, event(container(NoRuntimeSkipped.class),
                skippedWithReason(r -> r.startsWith("No sprite runtime:") && r.contains("no Podman socket at [" + MISSING_SOCKET + "]"))));
    }

    @Test
    void withoutARuntimeAndWithoutDisabledTheTestsFailWithTheReason() {
        run(NoRuntimeFails.class).assertThatEvents().haveExactly(1, event(container(NoRuntimeFails.class),
                finishedWithFailure(instanceOf(RuntimeUnavailableException.class), message(m -> m.contains(MISSING_SOCKET)))));
    }

    @Test
    void aFixtureThatThrowsFailsTheClassNamingItAndLeavesNoSprite() {
        ThrowingFixture.seeded.set(null);
        FixtureThrows.leftBehind.set(null);
        run(FixtureThrows.class).assertThatEvents().haveExactly(1, event(container(FixtureThrows.class), finishedWithFailure(
                instanceOf(PuckTestException.class),
                message(m -> m.contains("Fixture " + ThrowingFixture.class.getName() + " failed in seed()") && m.contains("the table is locked")
                        && m.contains("FixtureThrows.db") && m.contains(PuckTestException.FIXTURE)))));
        assertThat(ThrowingFixture.seeded.get()).as("the fixture ran on a sprite").isNotNull();
        assertThat(FixtureThrows.leftBehind.get()).as("after the failure, the sprite %s is gone", ThrowingFixture.seeded.get()).isFalse();
    }

    @Test
    void aFieldOfTheWrongTypeIsAClearError() {
        run(WrongType.class).assertThatEvents().haveExactly(1, event(container(WrongType.class), finishedWithFailure(instanceOf(PuckTestException.class),
                message(m -> m.contains("Field WrongType.db is annotated @SpriteInstance but its type is java.lang.String")
                        && m.contains("Declare it as labs.sandwich.puck.api.Sprite")))));
    }

    @Test
    void aFinalFieldOrABadPrefixIsAClearError() {
        run(FinalField.class).assertThatEvents().haveExactly(1, event(finishedWithFailure(instanceOf(PuckTestException.class),
                message(m -> m.contains("Field FinalField.db is annotated @SpriteInstance but is final")))));
        run(BadPrefix.class).assertThatEvents().haveExactly(1, event(finishedWithFailure(instanceOf(PuckTestException.class),
                message(m -> m.contains("@SpriteInstance(name = \"Not_A_Label\")") && m.contains("RFC 1123")))));
    }

    // ---- the classes run above (static nested: JUnit and surefire do not run them by themselves) ----

    static class NoRuntimeSkipped {
        @RegisterExtension
        static PuckExtension puck = PuckExtension.builder().runtime("podman").config("podman.socket", MISSING_SOCKET).disabledWithoutRuntime(true).build();

        @SpriteInstance
        static Sprite never;

        @Test
        void notRun() {
            throw new AssertionError("must be skipped");
        }
    }

    static class NoRuntimeFails {
        @RegisterExtension
        static PuckExtension puck = PuckExtension.builder().runtime("podman").config("podman.socket", MISSING_SOCKET).build();

        @SpriteInstance
        static Sprite never;

        @Test
        void notRun() {
            throw new AssertionError("must not run");
        }
    }

    static class ThrowingFixture implements SpriteFixture {
        static final AtomicReference<String> seeded = new AtomicReference<>();

        @Override
        public void seed(Sprite sprite) {
            seeded.set(sprite.name());
            throw new IllegalStateException("the table is locked");
        }
    }

    @PuckTest
    @ExtendWith(FixtureThrows.CheckLeftBehind.class)
    static class FixtureThrows {
        static final AtomicReference<Boolean> leftBehind = new AtomicReference<>();

        @SpriteInstance(fixture = ThrowingFixture.class)
        static Sprite db;

        @Test
        void notRun() {
            throw new AssertionError("must not run");
        }

        /** Runs after the failed class set-up, while its session (which would delete the sprite at its end) is still open. */
        static final class CheckLeftBehind implements AfterAllCallback {
            @Override
            public void afterAll(ExtensionContext context) throws Exception {
                leftBehind.set(SweepTest.podman("container", "exists", "puck-" + ThrowingFixture.seeded.get()) == 0);
            }
        }
    }

    @PuckTest
    static class WrongType {
        @SpriteInstance
        static String db;

        @Test
        void notRun() {}
    }

    @PuckTest
    static class FinalField {
        @SpriteInstance
        final Sprite db = null;

        @Test
        void notRun() {}
    }

    @PuckTest
    static class BadPrefix {
        @SpriteInstance(name = "Not_A_Label")
        Sprite db;

        @Test
        void notRun() {}
    }
}
