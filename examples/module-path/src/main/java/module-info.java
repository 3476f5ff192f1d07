/**
 * Puck on the module path: this module requires only puck-core; the Podman runtime is resolved
 * because puck-core {@code uses} the runtime service and puck-podman {@code provides} it.
 */
module labs.sandwich.puck.examples.modulepath {
    requires labs.sandwich.puck.core;
}
