package labs.sandwich.puck.junit5;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs a test class with {@link PuckExtension}: its {@link SpriteInstance} fields and parameters
 * get sprites, {@code Puck} parameters the session's {@code Puck}. Sprites are made in a store of
 * their own for the test session and labelled with its id; whatever a session leaves (even one
 * whose JVM was killed) is removed by the next session's start.
 *
 * <p>For settings in code (a socket, a configuration value), register the extension instead:
 * {@code @RegisterExtension static PuckExtension puck = PuckExtension.builder()...build();} and
 * leave this annotation out.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(PuckExtension.class)
public @interface PuckTest {
    /**
     * @return whether the class is skipped, rather than failed, when no sprite runtime can be
     *     used here; the skip reason is the runtime probe's diagnosis (what is missing, the fix)
     */
    boolean disabledWithoutRuntime() default false;

    /** @return the runtime's name, e.g. {@code podman}; empty: discovery ({@code -Dpuck.runtime}, then the best available) */
    String runtime() default "";
}
