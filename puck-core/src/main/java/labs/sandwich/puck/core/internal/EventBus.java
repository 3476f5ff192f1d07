package labs.sandwich.puck.core.internal;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import labs.sandwich.puck.api.Events;
import labs.sandwich.puck.api.Subscription;
import labs.sandwich.puck.api.event.SpriteEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers events in order on one dedicated thread, so a slow or failing listener never
 * blocks or breaks the operation that caused the event.
 */
public final class EventBus implements Events, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EventBus.class);

    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final ExecutorService delivery = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "puck-events");
        t.setDaemon(true);
        return t;
    });

    private record Listener(String sprite, Consumer<? super SpriteEvent> consumer) {
        void deliver(SpriteEvent e) {
            if (sprite == null || sprite.equals(e.sprite())) {
                try {
                    consumer.accept(e);
                } catch (RuntimeException ex) {
                    LOG.warn("An event listener failed on {}; delivery goes on", e, ex);
                }
            }
        }
    }

    @Override
    public Subscription subscribe(Consumer<? super SpriteEvent> listener) {
        return add(new Listener(null, listener));
    }

    @Override
    public Subscription subscribe(String sprite, Consumer<? super SpriteEvent> listener) {
        return add(new Listener(sprite, listener));
    }

    private Subscription add(Listener l) {
        listeners.add(l);
        return () -> listeners.remove(l);
    }

    /** @param event delivered to every matching listener, later, on the event thread */
    public void publish(SpriteEvent event) {
        if (!delivery.isShutdown()) {
            delivery.execute(() -> listeners.forEach(l -> l.deliver(event)));
        }
    }

    /** Delivers what is queued (for up to 5 seconds), then stops. */
    @Override
    public void close() {
        delivery.shutdown();
        try {
            if (!delivery.awaitTermination(5, TimeUnit.SECONDS)) {
                LOG.warn("Event listeners did not finish within 5 s; undelivered events dropped");
                delivery.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
