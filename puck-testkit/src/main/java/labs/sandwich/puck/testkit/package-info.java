/**
 * For backend authors and for tests: {@link labs.sandwich.puck.testkit.SpriteRuntimeCompatibilityKit}
 * (the SPI contract every backend must pass), {@link labs.sandwich.puck.testkit.InMemorySpriteRuntime}
 * (a faithful runtime without containers, never registered for discovery) and
 * {@link labs.sandwich.puck.testkit.TestClock}.
 */
@NullMarked
package labs.sandwich.puck.testkit;

import org.jspecify.annotations.NullMarked;
