package labs.sandwich.puck.api;

import java.util.function.Consumer;
import labs.sandwich.puck.api.event.SpriteEvent;

/**
 * Lifecycle events of every sprite of one {@code Puck}. Listeners are called one at a time,
 * in order, on a dedicated thread, never on the thread that caused the event; an exception
 * from a listener is logged and does not stop delivery.
 */
public interface Events {
    /**
     * @param listener called with every event
     * @return the subscription; close it to stop delivery
     */
    Subscription subscribe(Consumer<? super SpriteEvent> listener);

    /**
     * @param sprite   a sprite's name
     * @param listener called with that sprite's events
     * @return the subscription; close it to stop delivery
     */
    Subscription subscribe(String sprite, Consumer<? super SpriteEvent> listener);
}
