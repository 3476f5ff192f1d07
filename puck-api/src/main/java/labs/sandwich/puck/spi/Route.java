package labs.sandwich.puck.spi;

import labs.sandwich.puck.api.ExposureMode;

/**
 * A request to publish a sprite's port.
 *
 * @param sprite the sprite's name
 * @param port   the sprite's port
 * @param target where the port is reached
 * @param mode   who may reach it
 */
public record Route(String sprite, int port, Endpoint target, ExposureMode mode) {}
