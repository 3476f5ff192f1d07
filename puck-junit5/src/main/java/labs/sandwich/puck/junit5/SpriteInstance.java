package labs.sandwich.puck.junit5;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a {@code Sprite} field or parameter that the extension fills.
 *
 * <ul>
 *   <li>A <b>static field</b>: one sprite for the class, made before the first test and deleted
 *       after the last. With a {@link #fixture()}, the fixture seeds it once, the extension takes a
 *       snapshot for reset, and before every test but the first the sprite is
 *       {@linkplain labs.sandwich.puck.api.Sprite#reset reset} to it: each test starts from the same
 *       memory and disk. Tests sharing it then run one at a time, even with parallel execution
 *       (without a fixture they share it concurrently).</li>
 *   <li>An <b>instance field</b> or a <b>test method parameter</b>: a sprite for each test,
 *       deleted after it. With a fixture, the fixture seeds one sprite for the class once, and each
 *       test gets a {@linkplain labs.sandwich.puck.api.Sprite#fork fork} of its snapshot (tests may
 *       run in parallel; a fork costs more than a reset).</li>
 * </ul>
 *
 * <p>The field's type must be {@code Sprite}, and the field not final.
 */
@Target({ElementType.FIELD, ElementType.PARAMETER})
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface SpriteInstance {
    /**
     * @return the prefix of the sprite's name (an RFC 1123 label, at most 30 characters); empty:
     *     the field's or parameter's name. The extension appends the session and a number, so
     *     concurrent sessions on one machine never collide
     */
    String name() default "";

    /** @return the image, e.g. {@code localhost/puck/base:bookworm}; empty: the fixture's spec, else the runtime's default */
    String image() default "";

    /** @return what seeds the sprite once before its snapshot; {@link SpriteFixture.None}: nothing */
    Class<? extends SpriteFixture> fixture() default SpriteFixture.None.class;
}
