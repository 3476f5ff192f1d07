/** Internal: the engine's implementation. No compatibility promise; not exported. */
@NullMarked
package labs.sandwich.puck.core.internal;

import org.jspecify.annotations.NullMarked;
