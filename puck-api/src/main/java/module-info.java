/**
 * Puck's public API and SPI.
 *
 * <p>Users program against {@code labs.sandwich.puck.api}; backend authors implement
 * {@code labs.sandwich.puck.spi}. This module has no implementation and no dependency but
 * SLF4J (and JSpecify's annotations at compile time).
 */
module labs.sandwich.puck.api {
    requires transitive org.slf4j;
    requires static transitive org.jspecify;

    exports labs.sandwich.puck.api;
    exports labs.sandwich.puck.api.event;
    exports labs.sandwich.puck.spi;
    exports labs.sandwich.puck.meta;

    uses labs.sandwich.puck.spi.SpriteRuntimeProvider;
    uses labs.sandwich.puck.spi.IngressProvider;
}
