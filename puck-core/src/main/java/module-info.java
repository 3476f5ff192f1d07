/**
 * Puck's engine: the {@link labs.sandwich.puck.Puck} entry point, runtime discovery, the
 * SQLite state store, the lifecycle and the event bus. Only {@code labs.sandwich.puck} is
 * exported; everything else is internal.
 */
module labs.sandwich.puck.core {
    requires transitive labs.sandwich.puck.api;
    requires java.sql;
    requires org.xerial.sqlitejdbc;
    requires dev.failsafe.core;
    requires com.fasterxml.jackson.databind;
    requires static org.jspecify;

    exports labs.sandwich.puck;

    uses labs.sandwich.puck.spi.SpriteRuntimeProvider;
    uses labs.sandwich.puck.spi.IngressProvider;
}
