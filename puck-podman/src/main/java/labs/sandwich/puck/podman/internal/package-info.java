/** Internal: the Podman runtime and its libpod client. No compatibility promise; not exported. */
package labs.sandwich.puck.podman.internal;
