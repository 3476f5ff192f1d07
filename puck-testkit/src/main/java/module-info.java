/**
 * Puck's testkit: the SPI contract as a JUnit 5 suite, an in-memory runtime and a test clock.
 * For backend authors and for tests of code that uses Puck.
 */
module labs.sandwich.puck.testkit {
    requires transitive labs.sandwich.puck.api;
    requires transitive org.junit.jupiter.api;
    requires org.assertj.core;
    requires static org.jspecify;

    exports labs.sandwich.puck.testkit;
    opens labs.sandwich.puck.testkit to org.junit.platform.commons;
}
