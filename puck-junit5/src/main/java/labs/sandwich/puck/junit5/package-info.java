/**
 * For test authors: sprites in JUnit 5 tests.
 *
 * <pre>{@code
 * @PuckTest(disabledWithoutRuntime = true)
 * class OrdersTest {
 *     @SpriteInstance(fixture = SeededDatabase.class)   // seeded once, reset before each test
 *     static Sprite db;
 *
 *     @SpriteInstance                                  // a fresh sprite for each test
 *     Sprite scratch;
 *
 *     @Test
 *     void deletesAnOrder(Puck puck) { ... }
 * }
 * }</pre>
 *
 * <p>{@link labs.sandwich.puck.junit5.PuckTest} registers {@link labs.sandwich.puck.junit5.PuckExtension};
 * {@code @RegisterExtension static PuckExtension puck = PuckExtension.builder()...build()} does the
 * same with settings in code. See {@code docs/junit5.md}.
 */
@NullMarked
package labs.sandwich.puck.junit5;

import org.jspecify.annotations.NullMarked;
