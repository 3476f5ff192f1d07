/** The entry point: {@link labs.sandwich.puck.Puck}. For users. */
@NullMarked
package labs.sandwich.puck;

import org.jspecify.annotations.NullMarked;
