/**
 * Puck's testkit, for backend authors and for anyone testing code that uses Puck; it belongs
 * on the test class path only.
 * <ul>
 *   <li>{@link labs.sandwich.puck.testkit.SpriteRuntimeCompatibilityKit}: the SPI contract as a
 *       JUnit 5 suite that every backend extends and must pass;</li>
 *   <li>{@link labs.sandwich.puck.testkit.InMemorySpriteRuntime}: a faithful runtime without
 *       containers, never registered for discovery, with hooks for engine tests;</li>
 *   <li>{@link labs.sandwich.puck.testkit.InMemoryRuntimeContext}: what the engine lends a
 *       runtime, for testing one without the engine;</li>
 *   <li>{@link labs.sandwich.puck.testkit.TestClock}: a clock that moves only when told;</li>
 *   <li>{@link labs.sandwich.puck.testkit.Workloads}: programs for the kit's memory probes on
 *       real sprites.</li>
 * </ul>
 */
@NullMarked
package labs.sandwich.puck.testkit;

import org.jspecify.annotations.NullMarked;
