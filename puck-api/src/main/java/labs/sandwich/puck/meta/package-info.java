/** Annotations that state how stable an API is. For users and tools. */
@NullMarked
package labs.sandwich.puck.meta;

import org.jspecify.annotations.NullMarked;
