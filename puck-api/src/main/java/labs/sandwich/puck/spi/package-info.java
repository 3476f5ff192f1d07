/**
 * For backend and ingress authors: the contract every sprite runtime implements, found by
 * {@link java.util.ServiceLoader}. Implementations depend on {@code puck-api} only; what they
 * need from the engine reaches them through {@link labs.sandwich.puck.spi.RuntimeContext}.
 * Every backend must pass {@code SpriteRuntimeCompatibilityKit} from {@code puck-testkit}.
 */
@NullMarked
package labs.sandwich.puck.spi;

import org.jspecify.annotations.NullMarked;
