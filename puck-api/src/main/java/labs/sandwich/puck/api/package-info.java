/**
 * What users of Puck type: {@link labs.sandwich.puck.api.SpriteSpec}, the live
 * {@link labs.sandwich.puck.api.Sprite} handle, snapshots, exposures and the
 * {@link labs.sandwich.puck.api.PuckException} hierarchy. The entry point,
 * {@code labs.sandwich.puck.Puck}, lives in the {@code puck-core} module.
 */
@NullMarked
package labs.sandwich.puck.api;

import org.jspecify.annotations.NullMarked;
