/**
 * The Podman + CRIU runtime: {@link labs.sandwich.puck.podman.PodmanRuntimeProvider}, found by
 * {@code Puck.open()} when this jar is on the class path. For users who configure it.
 */
@NullMarked
package labs.sandwich.puck.podman;

import org.jspecify.annotations.NullMarked;
