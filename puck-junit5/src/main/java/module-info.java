/**
 * Puck's JUnit 5 extension: {@code @PuckTest}, {@code @SpriteInstance} and {@code PuckExtension}.
 * Exports {@code labs.sandwich.puck.junit5} only.
 */
module labs.sandwich.puck.junit5 {
    requires transitive labs.sandwich.puck.core;
    requires transitive org.junit.jupiter.api;
    requires static org.jspecify;

    exports labs.sandwich.puck.junit5;
    // JUnit instantiates fixtures and reads annotated fields reflectively through this module.
    opens labs.sandwich.puck.junit5 to org.junit.platform.commons;
}
