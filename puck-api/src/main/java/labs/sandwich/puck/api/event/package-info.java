/** Lifecycle events, delivered through {@code puck.events().subscribe(...)}. For users. */
@NullMarked
package labs.sandwich.puck.api.event;

import org.jspecify.annotations.NullMarked;
